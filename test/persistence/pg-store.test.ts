import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStoreAt, storeSpec } from '../../src/persistence/open.js';
import { PgStore } from '../../src/persistence/postgres/store.js';
import { StoreError } from '../../src/persistence/store-error.js';
import type { LogEntry } from '../../src/persistence/types.js';
import { PG_SKIP_REASON, PgCluster, pgBin } from '../helpers/postgres.js';
import { ROOT } from '../helpers/session-fixture.js';
import { entry, session, storeContract } from './store-contract.js';

const available = pgBin() !== undefined;
if (!available) process.stderr.write(`${PG_SKIP_REASON}\n`);

describe.skipIf(!available)('PgStore (a throw-away PostgreSQL cluster)', () => {
  let cluster: PgCluster;
  beforeAll(async () => {
    cluster = await PgCluster.create();
  }, 60_000);
  afterAll(() => cluster?.destroy());

  describe('the store contract', () => {
    storeContract(async () => {
      const url = await cluster.createDb();
      return { store: new PgStore(url), another: () => new PgStore(url) };
    });
  });

  it('migrates once when several hosts open a new database at the same time, and records the version', async () => {
    const url = await cluster.createDb();
    const stores = [new PgStore(url), new PgStore(url), new PgStore(url)];
    const pg = await import('pg');
    const c = new pg.default.Client({ connectionString: url });
    await c.connect();
    const versions = await c.query<{ version: number }>('SELECT version FROM orchestrate_migrations ORDER BY version');
    await c.query('INSERT INTO orchestrate_migrations (version) VALUES (999)');
    await c.end();
    expect(versions.rows.map((r) => r.version)).toEqual([1, 2, 3]);
    for (const s of stores) s.close();
    const newer = openStoreAt({ kind: 'postgres', url });
    expect(newer).toBeInstanceOf(StoreError);
    expect(newer instanceof StoreError && newer.kind).toBe('too_new');
  });

  it('selects PostgreSQL from --store, then ORCHESTRATE_STORE, then the config; SQLite by default', () => {
    expect(storeSpec({}, '/ws')).toEqual({ kind: 'sqlite', path: '/ws/orchestrate.db' });
    expect(storeSpec({ config: 'postgres://u@127.0.0.1:5432/db' }, '/ws')).toEqual({ kind: 'postgres', url: 'postgres://u@127.0.0.1:5432/db' });
    expect(storeSpec({ env: 'sqlite:///tmp/x.db', config: 'postgres://u@127.0.0.1/db' }, '/ws')).toEqual({ kind: 'sqlite', path: '/tmp/x.db' });
    expect(storeSpec({ flag: 'postgresql://u@127.0.0.1/a', env: 'sqlite:///tmp/x.db' }, '/ws')).toMatchObject({ kind: 'postgres' });
    expect(storeSpec({ flag: 'mysql://x' }, '/ws')).toMatchObject({ kind: 'config' });
  });

  it('says which server it could not reach, as a value', () => {
    const store = openStoreAt({ kind: 'postgres', url: 'postgres://nobody:secret@127.0.0.1:1/none' });
    expect(store).toBeInstanceOf(StoreError);
    expect(store instanceof StoreError && store.kind).toBe('io');
  });

  it('wakes readers with LISTEN/NOTIFY after a commit of another connection', async () => {
    const url = await cluster.createDb();
    const reader = new PgStore(url);
    const writer = new PgStore(url);
    writer.create(session('a'));
    const woken: string[] = [];
    const stop = reader.onAppended((id) => woken.push(id));
    // The listener connects asynchronously; appends before that are found by polling only.
    await new Promise((r) => setTimeout(r, 300));
    writer.append([entry('a', '1'), entry('a', '2')]);
    const deadline = Date.now() + 5_000;
    while (woken.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(woken).toContain('a');
    expect(reader.lastSeq('a')).toBe(2);
    stop();
    reader.close();
    writer.close();
  });

  it('keeps every acknowledged append when PostgreSQL is stopped with -m immediate mid-append', async () => {
    const url = await cluster.createDb();
    const store = new PgStore(url);
    store.create(session('a'));
    const acked: LogEntry[] = [];
    const [cmd, args] = cluster.stopCommand('immediate');
    // Another process kills the server while this one appends as fast as it can.
    const killer = spawn('sh', ['-c', 'sleep 0.4; exec "$0" "$@"', cmd, ...args], { stdio: 'ignore' });
    const killed = new Promise((r) => killer.on('close', r));
    let failure: unknown;
    for (let i = 0; i < 1_000_000 && failure === undefined; i++) {
      try {
        acked.push(...store.append([entry('a', `e${i}`), entry('a', `e${i}b`)]));
      } catch (error) {
        failure = error;
      }
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    await killed;
    expect(failure).toBeInstanceOf(StoreError);
    store.close();
    cluster.start();
    const after = new PgStore(url);
    const rows = after.read('a');
    expect(acked.length).toBeGreaterThan(10);
    // Every acknowledged event is there, with its seq and text; the log has no gap.
    const bySeq = new Map(rows.map((r) => [r.seq, r.payload.text]));
    for (const e of acked) expect(bySeq.get(e.seq)).toBe(e.payload.text);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: rows.length }, (_, i) => i + 1));
    expect(after.lastSeq('a')).toBe(rows.length);
    after.close();
  }, 60_000);

  it('a process stuck inside an append (paused, cut off) does not block the other hosts for long', async () => {
    const url = await cluster.createDb();
    const store = new PgStore(url);
    store.create(session('a'));
    // Another process takes the session row's lock inside an append, then hangs for 10 s.
    const script = `
      import { PgStore } from ${JSON.stringify(join(ROOT, 'dist', 'persistence', 'postgres', 'store.js'))};
      const s = new PgStore(process.argv[1]);
      const hang = () => { process.stdout.write('locked\\n'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000); };
      try { s.append([{ sessionId: 'a', type: 'progress', agent: 'claude', workerId: 'w', attempt: 1, timestamp: new Date().toISOString(), payload: { text: 'stuck' }, withinCommit: hang }]); process.stdout.write('committed\\n'); }
      catch (e) { process.stdout.write('refused: ' + e.message + '\\n'); }
      s.close();`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((r) => child.on('close', r));
    while (!out.includes('locked')) await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    store.append([entry('a', 'from another host')]);
    // Waited for the stuck transaction to be ended by the server (5 s), not for the process.
    expect(Date.now() - started).toBeLessThan(9_000);
    await exited;
    expect(out).toMatch(/refused/);
    expect(store.read('a').map((e) => e.payload.text)).toEqual(['from another host']);
    store.close();
  }, 60_000);
});
