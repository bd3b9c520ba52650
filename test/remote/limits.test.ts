import { describe, expect, it } from 'vitest';
import { groupUsage } from '../../src/actors/process-group-usage.js';
import type { LogEntry } from '../../src/persistence/types.js';
import { waitUntil } from '../runtime/crash-helpers.js';
import { happyRules, runCli, sessionFixture, type Fixture } from '../helpers/session-fixture.js';
import { explained, pgAvailable, remoteEnv, sessionArgs, snapshotOf, startWorker, stopAll, suiteCluster } from './remote-helpers.js';

const available = pgAvailable();

/** The implementer of t1 runs a command that keeps 250 MB resident in the agent's process group. */
const hog = (): Fixture =>
  sessionFixture(
    [
      { match: { kind: 'implement', task: 't1' }, respond: { actions: [{ shell: `node -e "globalThis.b = Buffer.alloc(250 * 1024 * 1024, 1); setInterval(() => {}, 1e9)"` }], text: 'never printed' } },
      ...happyRules(),
    ],
    { config: { limits: { memoryMb: 150 } } },
  );

/** What the session made of it: its states in order and why it escalated, numbers left out. */
function outcome(log: LogEntry[]): { states: string[]; escalation: string | undefined } {
  return {
    states: log.filter((e) => e.type === 'session.state').map((e) => String(e.payload.state)),
    escalation: log.find((e) => e.type === 'session.escalated')?.payload.text.replace(/\d+ MB resident/, 'N MB resident').replace(/\(\d+ processes\)/, '(N processes)'),
  };
}

describe.skipIf(!available)('resource limits of agent runs on worker hosts', () => {
  const suite = suiteCluster();

  it('a remote run over its memory limit is stopped on the worker, and the session ends as it does locally', async () => {
    // The same session, driven locally (the session's own monitor) and with --remote (the worker's).
    const local = hog();
    const localUrl = await suite.cluster.createDb();
    const l = await runCli(sessionArgs(local).filter((a) => a !== '--remote'), remoteEnv(local, localUrl), 120_000);

    const remote = hog();
    const url = await suite.cluster.createDb();
    const worker = startWorker(remoteEnv(remote, url));
    suite.procs.push(worker);
    const r = await explained(runCli(sessionArgs(remote), remoteEnv(remote, url), 120_000), [worker], url);
    await stopAll([worker]);

    // Both escalate (exit 3) for the same reason, through the same states.
    expect(l.code, l.stderr).toBe(3);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/escalated: implementer stopped: memory limit exceeded: \d+ MB resident > 150 MB/);
    const localLog = snapshotOf(localUrl);
    const remoteLog = snapshotOf(url);
    const mine = remoteLog.log(remoteLog.sessions[0]?.id ?? '');
    expect(outcome(mine)).toEqual(outcome(localLog.log(localLog.sessions[0]?.id ?? '')));
    expect(outcome(mine).escalation).toMatch(/^implementer stopped: memory limit exceeded: N MB resident > 150 MB \(N processes\)$/);

    // The worker measured the group on its host and said so in the log, before the run's end.
    const breach = mine.find((e) => e.type === 'run.limitExceeded');
    expect(breach?.payload.text).toMatch(/^memory limit exceeded: \d+ MB resident > 150 MB .* on \S+$/);
    const exited = mine.find((e) => e.type === 'run.exited' && e.workerId === 'implementer');
    expect(exited && breach && exited.seq > breach.seq).toBe(true);
    expect(exited?.payload.control).toMatchObject({ stoppedByRequest: true });
    // The hog's whole group is gone (zombies aside: what reaps them here is not ours to say).
    const spawned = mine.find((e) => e.type === 'run.spawned' && e.workerId === 'implementer');
    const pid = Number((spawned?.payload.control as { pid?: number } | undefined)?.pid);
    expect(pid).toBeGreaterThan(0);
    expect(await waitUntil(() => groupUsage(pid)?.processes === 0, 5_000)).toBe(true);
  }, 240_000);
});
