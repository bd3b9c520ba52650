import { readFileSync } from 'node:fs';
import type { EventLog } from '../persistence/types.js';

/** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot (identifies a process beyond its pid). */
export function startTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * Agents started by an orchestrator that was killed (SIGKILL skips every exit hook) keep
 * running in their own process groups. Before a resume relaunches them, the groups recorded in
 * the log are killed — only when the process is provably the one recorded (same start time),
 * never a stranger that reused the pid. Returns the pids killed.
 */
export function killStaleAgents(log: EventLog, sessionId: string): number[] {
  const killed: number[] = [];
  for (const entry of log.read(sessionId)) {
    if (entry.type !== 'process.spawned') continue;
    const pid = Number(entry.payload.pid);
    const ticks = entry.payload.startTicks;
    if (!Number.isInteger(pid) || typeof ticks !== 'string' || startTicks(pid) !== ticks) continue;
    try {
      process.kill(-pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // Already gone between the check and the kill: nothing to do.
    }
  }
  return killed;
}
