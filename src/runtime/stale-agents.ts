import { readdirSync, readFileSync } from 'node:fs';
import type { EventLog } from '../persistence/types.js';
import { statFields } from '../actors/process-group-usage.js';

/** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot (identifies a process beyond its pid). */
export function startTicks(pid: number): string | undefined {
  try {
    return statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'))[19];
  } catch {
    return undefined;
  }
}

/** Members of process group `pgid` started no earlier than `since` (so not a stranger that reused the id). */
function groupMembers(pgid: number, since: number): number[] {
  const members: number[] = [];
  let names: string[] = [];
  try {
    names = readdirSync('/proc');
  } catch {
    return members;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const f = statFields(readFileSync(`/proc/${name}/stat`, 'utf8'));
      if (Number(f[2]) === pgid && Number(f[19]) >= since && f[0] !== 'Z') members.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return members;
}

/**
 * Agents started by an orchestrator that was killed (SIGKILL skips every exit hook) keep
 * running in their own process groups. Before a resume relaunches them, the groups recorded in
 * the log are killed: the whole group when its leader is provably the one recorded (same start
 * time), else the members started after the recorded leader (the leader died, its children —
 * MCP servers, shells — did not). Returns the group ids acted on.
 */
export function killStaleAgents(log: EventLog, sessionId: string): number[] {
  const killed: number[] = [];
  for (const entry of log.records(sessionId, 'process.spawned')) {
    const pid = Number(entry.payload.pid);
    const ticks = entry.payload.startTicks;
    if (!Number.isInteger(pid) || typeof ticks !== 'string') continue;
    const targets = startTicks(pid) === ticks ? [-pid] : groupMembers(pid, Number(ticks));
    for (const target of targets) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // Already gone between the check and the kill.
      }
    }
    if (targets.length > 0) killed.push(pid);
  }
  return killed;
}
