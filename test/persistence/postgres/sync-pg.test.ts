import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgStore } from '../../../src/persistence/postgres/store.js';
import { StoreError } from '../../../src/persistence/store-error.js';
import type { BlockedCall } from '../../../src/persistence/postgres/sync-pg.js';
import { PG_SKIP_REASON, PgCluster, pgBin } from '../../helpers/postgres.js';
import { TcpPartition } from '../../helpers/tcp-partition.js';
import { entry, session } from '../store-contract.js';

const available = pgBin() !== undefined;
if (!available) process.stderr.write(`${PG_SKIP_REASON}\n`);

/** How long `fn` held this thread, and what it threw. */
function timed(fn: () => unknown): { ms: number; error: unknown } {
  const started = Date.now();
  try {
    fn();
    return { ms: Date.now() - started, error: undefined };
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
}

const kindOf = (error: unknown): string | undefined => (error instanceof StoreError ? error.kind : undefined);

describe.skipIf(!available)('a host cut off from PostgreSQL blocks for a bounded time, and says so', () => {
  let cluster: PgCluster;
  let relay: TcpPartition;
  beforeAll(async () => {
    cluster = await PgCluster.create();
    relay = await TcpPartition.start(cluster.port);
  }, 60_000);
  afterAll(async () => {
    await relay?.close();
    cluster?.destroy();
  });

  it('a lease renewal gives up after a fifth of the lease, any other call after the store timeout; both are reported', async () => {
    const url = await cluster.createDb();
    const store = new PgStore(url.replace(`:${cluster.port}/`, `:${relay.port}/`), { timeoutMs: 3_000 });
    const blocked: BlockedCall[] = [];
    store.onBlocked((call) => blocked.push(call));
    store.create(session('a'));
    expect(store.acquireLease('a', 'me', 10_000, Date.now())).toMatchObject({ ok: true });
    await relay.partition();
    // A renewal of a 10 s lease may take 2 s at most.
    const renewal = timed(() => store.renewLease('a', 'me', 10_000, Date.now()));
    expect(kindOf(renewal.error)).toBe('io');
    expect(renewal.ms).toBeGreaterThanOrEqual(1_900);
    expect(renewal.ms).toBeLessThan(3_200);
    // Anything else: the store's own timeout (3 s here), the reconnection included.
    const read = timed(() => store.read('a'));
    expect(kindOf(read.error)).toBe('io');
    expect(read.ms).toBeLessThan(4_200);
    expect(blocked.map((b) => [b.what, b.failed])).toEqual([
      ['UPDATE sessions SET', true],
      ['SELECT * FROM', true],
    ]);
    expect(blocked[0]?.ms).toBeGreaterThanOrEqual(1_900);
    await relay.heal();
    // Healed: the next call reconnects, and the lease is still this holder's.
    expect(store.renewLease('a', 'me', 10_000, Date.now())).toBe(true);
    expect(store.read('a')).toEqual([]);
    store.close();
  }, 60_000);

  it('a holder cut off past its lease writes nothing once another host took it over', async () => {
    const url = await cluster.createDb();
    const holder = new PgStore(url.replace(`:${cluster.port}/`, `:${relay.port}/`), { timeoutMs: 2_000 });
    holder.create(session('a'));
    expect(holder.acquireLease('a', 'cut-off', 2_000, Date.now())).toMatchObject({ ok: true });
    holder.append([entry('a', 'before the cut')]);
    await relay.partition();
    // Its writes block and fail while cut off; its lease runs out meanwhile.
    expect(kindOf(timed(() => holder.append([entry('a', 'during the cut')])).error)).toBe('io');
    await new Promise((r) => setTimeout(r, 500));
    const successor = new PgStore(url);
    expect(successor.acquireLease('a', 'successor', 2_000, Date.now())).toMatchObject({ ok: true });
    await relay.heal();
    // Reachable again: still refused, whatever the holder's clock says.
    expect(kindOf(timed(() => holder.append([entry('a', 'after healing')])).error)).toBe('fenced');
    expect(holder.renewLease('a', 'cut-off', 2_000, Date.now())).toBe(false);
    successor.append([entry('a', 'successor')]);
    expect(successor.read('a').map((e) => e.payload.text)).toEqual(['before the cut', 'successor']);
    holder.close();
    successor.close();
  }, 60_000);
});
