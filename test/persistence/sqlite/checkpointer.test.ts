import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Checkpointer } from '../../../src/persistence/sqlite/checkpointer.js';
import { openDb } from '../../../src/persistence/sqlite/db.js';
import { SqliteStore } from '../../../src/persistence/sqlite/store.js';
import { tempDir } from '../../helpers/fake-agents.js';

const until = async (check: () => boolean, ms = 10_000): Promise<boolean> => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) if (check()) return true;
  return check();
};
const walBytes = (path: string): number => statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0;
const autoCheckpoint = (db: Database.Database): number => db.pragma('wal_autocheckpoint', { simple: true }) as number;

function table(path: string): Database.Database {
  const db = openDb(path);
  db.exec('CREATE TABLE IF NOT EXISTS blobs (n INTEGER PRIMARY KEY, body TEXT)');
  return db;
}

describe('the WAL checkpointer thread', () => {
  it('copies commits in its own thread while the writer only checkpoints past a backstop, and keeps the log bounded under writes that never pause', async () => {
    const path = join(tempDir('orch-ckpt-'), 'store.db');
    const db = table(path);
    // The thread's own period (500 ms): a thread checkpointing every few ms holds the checkpoint
    // lock most of the time, and on a starved machine the backstop then lost nearly every try.
    const checkpointer = new Checkpointer(db, path);
    expect(autoCheckpoint(db)).toBe(4000);
    const insert = db.prepare('INSERT INTO blobs (body) VALUES (?)');
    const body = 'x'.repeat(16 * 1024);
    let largest = 0;
    let written = 0;
    let copied = 0;
    // 128 MB through the log, one small transaction after another, the thread copying beside them:
    // a checkpoint beside a busy writer never lets the log start over, so only the backstop does
    // (without it the log holds all 128 MB). The backstop (16 MB) is late while the thread's own
    // checkpoint holds the lock, longer on a starved machine (up to 47 MB seen with three busy
    // loops beside the test on 2 cores), so the bound checked is half of what was written.
    const end = Date.now() + 30_000;
    for (; written < 8192 && Date.now() < end; written++) {
      insert.run(body);
      if (written % 64 === 0) largest = Math.max(largest, walBytes(path));
      // Let the thread's reports in now and then (the writes themselves never wait).
      if (written % 512 === 511) await new Promise((r) => setImmediate(r));
      copied = Math.max(copied, checkpointer.stats.last?.checkpointed ?? 0);
    }
    expect(written).toBe(8192);
    // The thread copied pages (a run just after the writer's backstop may find none left to copy).
    expect(await until(() => (copied = Math.max(copied, checkpointer.stats.last?.checkpointed ?? 0)) > 0)).toBe(true);
    expect(largest).toBeLessThan(64 * 1024 * 1024);
    expect(checkpointer.stats.fellBack).toBe(false);
    checkpointer.stop();
    db.close();
  });

  it('gives the checkpoints back to SQLite when the thread is gone', async () => {
    const path = join(tempDir('orch-ckpt-'), 'store.db');
    const db = table(path);
    const checkpointer = new Checkpointer(db, path, { intervalMs: 20 });
    expect(autoCheckpoint(db)).toBe(4000);
    // As if the thread had crashed.
    await (checkpointer as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    expect(await until(() => checkpointer.stats.fellBack)).toBe(true);
    expect(autoCheckpoint(db)).toBe(1000);
    db.close();
  });

  it('a store that was written has everything in its database file once closed (the log is checkpointed at close)', () => {
    const path = join(tempDir('orch-ckpt-'), 'orchestrate.db');
    const store = new SqliteStore(path);
    const now = new Date().toISOString();
    store.create({ id: 's1', task: 't', target: '/t', workspace: '/w', sessionDir: '/w/s1', status: 'planning', tier: 1, roles: { architect: 'gemini', implementer: 'claude', reviewer: 'codex' }, config: {}, tokens: {}, createdAt: now, updatedAt: now });
    store.append(Array.from({ length: 300 }, (_, i) => ({ sessionId: 's1', type: 'progress', agent: 'claude', workerId: 'implementer', attempt: 1, timestamp: now, payload: { text: `line ${i}` } })));
    store.close();
    expect(walBytes(path)).toBe(0);
    const check = new Database(path, { readonly: true });
    expect(check.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: 300 });
    check.close();
  });
});
