import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { Fences } from '../../../src/persistence/fence.js';
import { AppendError, AppendThread } from '../../../src/persistence/sqlite/append-thread.js';
import { LaterAppends } from '../../../src/persistence/sqlite/appends-later.js';
import { SqliteStore } from '../../../src/persistence/sqlite/store.js';
import type { LogEntry, LogEntryInput } from '../../../src/persistence/types.js';
import { tempDir } from '../../helpers/fake-agents.js';
import { ROOT } from '../../helpers/session-fixture.js';
import { entry, session } from '../store-contract.js';

const fresh = (): { path: string; store: SqliteStore } => {
  const path = join(tempDir('orch-append-'), 'orchestrate.db');
  const store = new SqliteStore(path);
  store.create(session('a'));
  return { path, store };
};

const later = (store: SqliteStore, entries: LogEntryInput[]): Promise<LogEntry[]> =>
  new Promise((resolve, reject) => {
    expect(store.appendLater(entries, (r) => (r instanceof Error ? reject(r) : resolve(r)))).toBe(true);
  });

const frame = (envelopes: unknown): Uint8Array => Buffer.from(JSON.stringify(envelopes));

/** An envelope of session `a` with its seq given, as the main thread frames it. */
const at = (seq: number): unknown => ({ seq, sessionId: 'a', type: 'progress', payload: { text: 'x' }, agent: 'claude', workerId: 'w', attempt: 1, timestamp: '2026-01-01T00:00:00.000Z' });

const answer = (thread: AppendThread, bytes: Uint8Array): Promise<Error | undefined> => new Promise((resolve) => thread.post(bytes, {}, resolve));

describe('the store’s writer thread', () => {
  it('stores what the main thread would have stored, seqs and texts alike', async () => {
    const { store } = fresh();
    const other = fresh().store;
    const entries: LogEntryInput[] = [
      entry('a', 'plain'),
      { ...entry('a', 'beyond Latin-1: → … “quoted” 😀 and a \t tab'), usage: { inputTokens: 3, outputTokens: 1, cachedTokens: 0 } },
      { ...entry('a', ''), payload: { kind: 'tool.result', text: 'a\nb', nested: { list: [1, 2.5, -0, null, true], empty: {} } } },
    ];
    const committed = await later(store, entries);
    expect(committed.map((e) => e.seq)).toEqual([1, 2, 3]);
    other.append(entries);
    const row = (s: SqliteStore): unknown[] => s.read('a').map((e) => [e.seq, e.type, e.agent, e.workerId, e.attempt, e.timestamp, JSON.stringify(e.payload), JSON.stringify(e.usage ?? null)]);
    expect(row(store)).toEqual(row(other));
    expect(store.lastSeq('a')).toBe(3);
    // A synchronous append after it goes on from there, and the thread from that.
    store.append([entry('a', 'keyed', 'k')]);
    expect((await later(store, [entry('a', 'after')])).map((e) => e.seq)).toEqual([5]);
    expect(store.read('a').map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    store.close();
    other.close();
  });

  it('refuses a batch whose seqs do not go on from the log’s last one, and keeps nothing of it', async () => {
    const { path, store } = fresh();
    const thread = new AppendThread(path, []);
    const error = await answer(thread, frame([at(1), at(3)]));
    expect(error).toBeInstanceOf(AppendError);
    expect(error).toMatchObject({ kind: 'conflict', message: 'session a: the log ends at seq 1, the batch goes on with 3' });
    expect(store.lastSeq('a')).toBe(0);
    expect(store.read('a')).toEqual([]);
    expect(await answer(thread, frame([at(1), at(2)]))).toBeUndefined();
    expect(store.lastSeq('a')).toBe(2);
    thread.close();
    store.close();
  });

  it('refuses what is not a batch, and an unknown session, with a kind', async () => {
    const { path, store } = fresh();
    const thread = new AppendThread(path, []);
    expect(await answer(thread, Buffer.from('not json'))).toMatchObject({ kind: 'malformed' });
    expect(await answer(thread, frame({ seq: 1 }))).toMatchObject({ kind: 'malformed', message: 'a batch that is not an array of envelopes' });
    expect(await answer(thread, frame([{ seq: 1, sessionId: 'nope' }]))).toMatchObject({ kind: 'unknown', message: 'unknown session nope' });
    // Still usable after each.
    expect(store.appendLater([entry('a', 'fine')], () => undefined)).toBe(true);
    store.drainAppends();
    expect(store.lastSeq('a')).toBe(1);
    thread.close();
    store.close();
  });

  it('drain() answers every batch in flight before it returns, in order', () => {
    const { store } = fresh();
    const landed: number[][] = [];
    for (let i = 0; i < 3; i++) store.appendLater([entry('a', `${i}`), entry('a', `${i}'`)], (r) => landed.push(r instanceof Error ? [-1] : r.map((e) => e.seq)));
    expect(landed).toEqual([]);
    store.drainAppends();
    expect(landed).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    store.close();
  });

  it('goes the synchronous way for entries that need the main thread: a key, or rows of their own', () => {
    const { store } = fresh();
    expect(store.appendLater([entry('a', 'x', 'key')], () => undefined)).toBe(false);
    expect(store.appendLater([{ ...entry('a', 'x'), withinCommit: () => undefined }], () => undefined)).toBe(false);
    store.close();
  });
});

describe('a writer thread that cannot start', () => {
  it('fails what was posted as unstarted (nothing of it committed), and is broken for later batches', async () => {
    const thread = new AppendThread(join(tempDir('orch-append-'), 'missing', 'orchestrate.db'), []);
    const error = await answer(thread, frame([]));
    expect(error).toMatchObject({ kind: 'unstarted' });
    expect(thread.broken).toMatchObject({ kind: 'unstarted' });
    expect(await answer(thread, frame([]))).toBe(thread.broken);
  });

  it('has its batches committed the synchronous way instead, in order', async () => {
    const { store } = fresh();
    const later = new LaterAppends(join(tempDir('orch-append-'), 'missing', 'orchestrate.db'), new Fences(), (id) => store.lastSeq(id), (entries) => store.append(entries));
    const landed: (number[] | string)[] = [];
    const take = (r: LogEntry[] | Error): number => landed.push(r instanceof Error ? r.message : r.map((e) => e.seq));
    expect(later.takes([entry('a', '1')])).toBe(true);
    later.append([entry('a', '1'), entry('a', '2')], take);
    later.append([entry('a', '3')], take);
    await vi.waitFor(() => expect(landed).toHaveLength(2));
    expect(landed).toEqual([[1, 2], [3]]);
    expect(store.read('a').map((e) => e.payload.text)).toEqual(['1', '2', '3']);
    // Broken now: the store's own appendLater would say no, and the caller appends itself.
    expect(later.takes([entry('a', '4')])).toBe(false);
    store.close();
  });
});

describe('a writer thread that stops answering or dies with a batch in flight', () => {
  /**
   * A started thread (its watchdog at 300 ms) whose store another connection holds the write lock
   * of: the thread waits in SQLite's busy handler (5 s) with whatever `body` posts.
   */
  const stuck = async (body: (thread: AppendThread) => Promise<void> | void): Promise<void> => {
    const { path, store } = fresh();
    const thread = new AppendThread(path, [], 300);
    // Its first batch answered: the thread has opened the store.
    expect(await answer(thread, frame([]))).toBeUndefined();
    const lock = new Database(path);
    lock.exec('BEGIN EXCLUSIVE');
    try {
      await body(thread);
    } finally {
      lock.exec('ROLLBACK');
      lock.close();
      store.close();
    }
  };

  it('is failed by the watchdog: the batch gets `timeout` (its fate unknown), and every later batch the same error', () =>
    stuck(async (thread) => {
      const since = Date.now();
      const error = await answer(thread, frame([at(1)]));
      expect(error).toMatchObject({ kind: 'timeout', message: 'the log writer thread did not answer within 0.3 s' });
      // The watchdog, not SQLite's 5 s busy timeout.
      expect(Date.now() - since).toBeLessThan(4000);
      expect(thread.broken).toBe(error);
      expect(await answer(thread, frame([at(1)]))).toBe(error);
    }));

  it('is not ended inside a SQLite call: the process lives on when the call fails after the watchdog (SQLITE_BUSY)', () => {
    // In a process of its own: what this guards against aborts the process.
    const r = spawnSync(process.execPath, [join(ROOT, 'test', 'fixtures', 'stuck-writer-thread.mjs'), join(ROOT, 'dist'), tempDir('orch-stuck-')], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).not.toMatch(/FATAL ERROR/);
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 0, stdout: 'landed timeout\nsurvived\n' });
  }, 40_000);

  it('drain() gives up after the same time instead of waiting for good', () =>
    stuck((thread) => {
      let landed: Error | undefined;
      thread.post(frame([at(1)]), {}, (e) => (landed = e));
      const since = Date.now();
      thread.drain();
      expect(Date.now() - since).toBeLessThan(4000);
      expect(landed).toMatchObject({ kind: 'timeout' });
    }));

  it('dies: the batch gets `gone`, the store goes the synchronous way after it, and the log holds what the thread committed', async () => {
    const { store } = fresh();
    expect((await later(store, [entry('a', 'before')])).map((e) => e.seq)).toEqual([1]);
    // What the thread takes next throws outside its batch handling, as a bug or a crash would:
    // the thread ends with an error before it gets to the batch posted after it.
    const thread = (store as unknown as { later: { thread: { port: MessagePort } } }).later.thread;
    thread.port.postMessage(null);
    const landed = await new Promise<LogEntry[] | Error>((resolve) => expect(store.appendLater([entry('a', 'in flight')], resolve)).toBe(true));
    expect(landed).toMatchObject({ kind: 'gone' });
    expect(store.appendLater([entry('a', 'after')], () => undefined)).toBe(false);
    expect(store.append([entry('a', 'after')]).map((e) => e.seq)).toEqual([2]);
    expect(store.read('a').map((e) => e.payload.text)).toEqual(['before', 'after']);
    store.close();
  });
});
