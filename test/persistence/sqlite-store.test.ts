import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { integrityCheck, openDb, StoreError } from '../../src/persistence/sqlite/db.js';
import { MIGRATIONS } from '../../src/persistence/sqlite/migrations.js';
import { SqliteStore } from '../../src/persistence/sqlite/store.js';
import type { LogEntryInput } from '../../src/persistence/types.js';
import { tempDir } from '../helpers/fake-agents.js';
import { entry, session, storeContract, ts } from './store-contract.js';

function open(): SqliteStore {
  return new SqliteStore(join(tempDir('orch-store-'), 'orchestrate.db'));
}

describe('SqliteStore: the store contract', () => {
  storeContract(() => {
    const path = join(tempDir('orch-store-'), 'orchestrate.db');
    return Promise.resolve({ store: new SqliteStore(path), another: () => new SqliteStore(path) });
  });
});

describe('SqliteStore', () => {
  it('keeps sessions, snapshots and records, and survives reopening', () => {
    const dir = tempDir('orch-store-');
    const path = join(dir, 'orchestrate.db');
    const store = new SqliteStore(path);
    store.create(session('a'));
    store.update('a', { status: 'implementing', tier: 2, tokens: { claude: { inputTokens: 5, outputTokens: 1, cachedTokens: 0 } }, updatedAt: ts });
    store.saveSnapshot({ sessionId: 'a', machineVersion: 'm1', xstateVersion: '5.33.3', snapshot: { value: 'planning' }, updatedAt: ts });
    store.saveDecision('a', { decisionId: 'd1', reviewId: 'r1', action: 'CONTINUE', policy: 'four-rule', inputs: [], reasons: ['ok'], timestamp: ts });
    store.close();
    const again = new SqliteStore(path);
    expect(again.get('a')).toMatchObject({ status: 'implementing', tier: 2, tokens: { claude: { inputTokens: 5 } } });
    expect(again.loadSnapshot('a')?.snapshot).toEqual({ value: 'planning' });
    expect(again.decisions('a').map((d) => d.decisionId)).toEqual(['d1']);
    // A decision is recorded once: saving it again changes nothing.
    expect(again.saveDecision('a', { decisionId: 'd1', reviewId: 'r1', action: 'STOP_AND_ESCALATE', policy: 'four-rule', inputs: [], reasons: ['x'], timestamp: ts })).toBe(false);
    expect(again.decisions('a').map((d) => d.action)).toEqual(['CONTINUE']);
    expect(integrityCheck(openDb(path))).toEqual(['ok']);
  });

  it('refuses a file that is not a store with a clear message', () => {
    const path = join(tempDir('orch-store-'), 'orchestrate.db');
    writeFileSync(path, 'this is not sqlite at all, just text '.repeat(200));
    expect(() => new SqliteStore(path)).toThrow(StoreError);
    expect(() => new SqliteStore(path)).toThrow(/not a usable orchestrate store/);
  });
});

describe('SqliteStore lookups a resume makes', () => {
  const spawned = (sessionId: string, workerId: string, attempt: number, pid: number): LogEntryInput => ({
    sessionId,
    type: 'process.spawned',
    agent: 'orchestrate',
    workerId: 'session',
    attempt: 0,
    timestamp: ts,
    payload: { text: `${workerId} spawned`, pid, workerId, agent: 'claude', attempt },
  });
  const started = (sessionId: string, workerId: string, attempt: number, id: string): LogEntryInput => ({
    ...entry(sessionId, 'started'),
    type: 'status',
    workerId,
    attempt,
    payload: { kind: 'run.started', text: 'started', agentSessionId: id },
  });

  it("finds a run's conversation after its newest launch, and other runs' do not count", () => {
    const store = open();
    store.create(session('a'));
    store.append([spawned('a', 'implementer', 1, 10), started('a', 'implementer', 1, 'first'), entry('a', 'work')]);
    store.append([spawned('a', 'architect', 1, 11), started('a', 'architect', 1, 'other run')]);
    // Relaunched after a restart: the CLI reports the conversation again (possibly a new id).
    store.append([spawned('a', 'implementer', 1, 12), entry('a', 'more'), started('a', 'implementer', 1, 'second'), entry('a', 'even more')]);
    expect(store.agentSessionIdOf('a', 'implementer', 1, 'claude')).toBe('second');
    expect(store.agentSessionIdOf('a', 'architect', 1, 'claude')).toBe('other run');
    expect(store.agentSessionIdOf('a', 'implementer', 2, 'claude')).toBeUndefined();
    // A launch that died before naming its conversation: the previous launch's one is continued.
    store.append([spawned('a', 'implementer', 1, 13)]);
    expect(store.agentSessionIdOf('a', 'implementer', 1, 'claude')).toBe('second');
  });

  it('upgrades a schema-2 store: the type index keeps only the orchestrator records, which are still found', () => {
    const path = join(tempDir('orch-store-'), 'orchestrate.db');
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.exec(MIGRATIONS.slice(0, 2).join(';'));
    old.pragma('user_version = 2');
    old.close();
    const store = new SqliteStore(path);
    store.create(session('a'));
    store.append([entry('a', 'x'), spawned('a', 'architect', 1, 5), entry('a', 'y')]);
    store.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'events_by_type'").pluck().get()).toMatch(/WHERE agent = 'orchestrate'/);
    // The query plan uses the index (a resume must not scan a long log).
    const plan = db.prepare("EXPLAIN QUERY PLAN SELECT * FROM events INDEXED BY events_by_type WHERE session_id = 'a' AND type = 'process.spawned' AND agent = 'orchestrate' ORDER BY seq").all();
    expect(JSON.stringify(plan)).toContain('events_by_type');
    db.close();
    expect(new SqliteStore(path).records('a', 'process.spawned').map((e) => e.payload.pid)).toEqual([5]);
  });

  it('finds a conversation in a log without launch records, and entries by type in seq order', () => {
    const store = open();
    store.create(session('a'));
    store.append([started('a', 'implementer', 1, 'only'), entry('a', 'x'), spawned('a', 'architect', 1, 5), entry('a', 'y'), spawned('a', 'architect', 2, 6)]);
    expect(store.agentSessionIdOf('a', 'implementer', 1, 'claude')).toBe('only');
    expect(store.records('a', 'process.spawned').map((e) => [e.seq, e.payload.pid])).toEqual([
      [3, 5],
      [5, 6],
    ]);
  });
});
