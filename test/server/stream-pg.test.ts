import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgStore } from '../../src/persistence/postgres/store.js';
import type { Store } from '../../src/persistence/types.js';
import { SessionRegistry } from '../../src/server/registry.js';
import { follow, type Transport } from '../../src/server/stream.js';
import { PG_SKIP_REASON, PgCluster, pgBin } from '../helpers/postgres.js';
import { entry, session } from '../persistence/store-contract.js';

const available = pgBin() !== undefined;
if (!available) process.stderr.write(`${PG_SKIP_REASON}\n`);

function client(): Transport & { got: { seq: number }[] } {
  const got: { seq: number }[] = [];
  return { got, buffered: () => 0, send: (run) => got.push(...run.batch.entries.slice(run.from, run.to).map((e) => ({ seq: e.seq }))), drop: () => got.push({ seq: -1 }) };
}

async function until(check: () => boolean, ms: number): Promise<number> {
  const start = Date.now();
  while (!check() && Date.now() - start < ms) await new Promise((r) => setTimeout(r, 10));
  return Date.now() - start;
}

/** A session driven on another host: this server only shares the PostgreSQL store with it. */
describe.skipIf(!available)('the server follows sessions written by other hosts (PostgreSQL)', () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await PgCluster.create();
  }, 60_000);
  afterAll(() => cluster?.destroy());

  it('is woken by NOTIFY at once, and reads every entry in order from the table', async () => {
    const url = await cluster.createDb();
    const other = new PgStore(url);
    other.create(session('s'));
    other.append([entry('s', 'before')]);
    const reader = new PgStore(url);
    const c = client();
    // Polling every minute: only the notification can bring the entries in time.
    const f = follow(new SessionRegistry(reader), 's', 0, c, { maxBufferedBytes: 1 << 20, stallMs: 5_000, pollMs: 60_000 });
    await until(() => c.got.length === 1, 5_000);
    await new Promise((r) => setTimeout(r, 300)); // the LISTEN connection is up
    for (let i = 0; i < 5; i++) other.append([entry('s', `live ${i}`)]);
    const took = await until(() => c.got.length === 6, 5_000);
    expect(c.got.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(took).toBeLessThan(5_000);
    f.stop();
    reader.close();
    other.close();
  });

  it('still gets everything by polling when no notification arrives', async () => {
    const url = await cluster.createDb();
    const other = new PgStore(url);
    other.create(session('s'));
    const pg = new PgStore(url);
    // The same store without LISTEN: as if every notification were lost.
    const deaf: Store = Object.assign(Object.create(pg) as PgStore, { onAppended: undefined });
    const c = client();
    const f = follow(new SessionRegistry(deaf), 's', 0, c, { maxBufferedBytes: 1 << 20, stallMs: 5_000, pollMs: 100 });
    for (let i = 0; i < 5; i++) other.append([entry('s', `e${i}`)]);
    await until(() => c.got.length === 5, 5_000);
    expect(c.got.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    f.stop();
    pg.close();
    other.close();
  });
});
