import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentProcessInput } from '../../src/machines/events.js';
import { PgStore } from '../../src/persistence/postgres/store.js';
import { RunQueue } from '../../src/remote/queue.js';
import { newRunId } from '../../src/remote/run-entries.js';
import { executeRun } from '../../src/remote/worker-run.js';
import { fakeCommand, tempDir } from '../helpers/fake-agents.js';
import { PG_SKIP_REASON, PgCluster, pgBin } from '../helpers/postgres.js';
import { session } from '../persistence/store-contract.js';
import { checkLog } from './remote-helpers.js';

const available = pgBin() !== undefined;
if (!available) process.stderr.write(`${PG_SKIP_REASON}\n`);

function runInput(sessionId: string): AgentProcessInput {
  const dir = tempDir();
  return {
    sessionId,
    workerId: 'implementer',
    agent: 'codex',
    adapter: 'codex',
    attempt: 1,
    sessionDir: join(dir, sessionId),
    request: { role: 'implementer', mode: 'work', prompt: 'Do two steps', cwd: dir, workspace: dir, extraDirs: [], command: fakeCommand('codex'), env: { FAKE_SCENARIO: 'multi' } },
  };
}

describe.skipIf(!available)('a run delivered more than once', () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await PgCluster.create();
  }, 60_000);
  afterAll(() => cluster?.destroy());

  it('runs once and writes its events once, however many workers get the job', async () => {
    const url = await cluster.createDb();
    const orchestrator = new PgStore(url);
    orchestrator.create(session('s1'));
    const input = runInput('s1');
    const runId = newRunId(input);
    orchestrator.runs.ensure({ runId, sessionId: 's1', agent: 'codex', input }, new Date().toISOString());
    // The same run is on the queue twice (a re-send, or pg-boss delivering again).
    const queue = await RunQueue.open(url, (e) => {
      throw e;
    });
    await queue.send('codex', { runId });
    await queue.send('codex', { runId });
    const workers = [new PgStore(url), new PgStore(url)];
    const log = pino({ level: 'silent' });
    const jobs = [await queue.fetch(['codex']), await queue.fetch(['codex'])];
    expect(jobs.map((j) => j?.runId)).toEqual([runId, runId]);
    const stop = new AbortController();
    const outcomes = await Promise.all(
      workers.map((store, i) => executeRun(runId, { store, owner: `worker-${i}`, host: `host-${i}`, leaseTtlMs: 5_000, log }, stop.signal)),
    );
    expect(outcomes.sort()).toEqual(['finished', 'not_mine']);
    // Delivered again after the end: nothing happens.
    expect(await executeRun(runId, { store: workers[0] as PgStore, owner: 'late', host: 'h', leaseTtlMs: 5_000, log }, stop.signal)).toBe('not_mine');
    for (const job of jobs) if (job) await queue.complete(job);
    const entries = orchestrator.read('s1');
    const { gapFree, duplicates } = checkLog(entries);
    expect(gapFree).toBe(true);
    expect(duplicates).toEqual([]);
    expect(entries.filter((e) => e.type === 'run.exited')).toHaveLength(1);
    expect(entries.filter((e) => e.type === 'run.spawned')).toHaveLength(1);
    expect(orchestrator.runs.get(runId)).toMatchObject({ state: 'done', epoch: 1 });
    await queue.close();
    for (const s of [orchestrator, ...workers]) s.close();
  }, 60_000);
});
