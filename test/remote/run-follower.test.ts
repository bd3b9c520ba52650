import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgStore } from '../../src/persistence/postgres/store.js';
import { RunQueue, type FetchedJob } from '../../src/remote/queue.js';
import { RunFollower } from '../../src/remote/run-follower.js';
import { PG_SKIP_REASON, PgCluster, pgBin } from '../helpers/postgres.js';
import { session } from '../persistence/store-contract.js';

const available = pgBin() !== undefined;
if (!available) process.stderr.write(`${PG_SKIP_REASON}\n`);

describe.skipIf(!available)('the session follows its remote run', () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await PgCluster.create();
  }, 60_000);
  afterAll(() => cluster?.destroy());

  it('sends a run again when its job was taken but the run never claimed (a worker lost between the two)', async () => {
    const url = await cluster.createDb();
    const store = new PgStore(url);
    store.create(session('s1'));
    const queue = await RunQueue.open(url, (e) => {
      throw e;
    });
    const follower = new RunFollower({ store, queue, log: pino({ level: 'silent' }), pollMs: 50 }, { runId: 'r1', sessionId: 's1', agent: 'codex', input: { any: 'launch' } }, () => undefined, (m) => {
      throw new Error(m);
    });
    const sentAt = Date.now();
    follower.start('a test');
    const next = async (): Promise<FetchedJob | undefined> => {
      for (const end = Date.now() + 15_000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
        const job = await queue.fetch(['codex']);
        if (job) return job;
      }
      return undefined;
    };
    const first = await next();
    expect(first?.runId).toBe('r1');
    // Fetched and completed, but nobody claimed the run: it is still queued.
    if (first) await queue.complete(first);
    expect(store.runs.get('r1')?.state).toBe('queued');
    const second = await next();
    expect(second?.runId).toBe('r1');
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(5_000);
    follower.close();
    await queue.close();
    store.close();
  }, 60_000);
});
