import { afterEach, expect, it } from 'vitest';
import { StoreError } from '../../src/persistence/store-error.js';
import type { OrchestratorDecision } from '../../src/protocol/index.js';
import type { SqliteStore } from '../../src/persistence/sqlite/store.js';
import type { EventLog, LogEntryInput, SessionRecord, Store } from '../../src/persistence/types.js';

/** A fresh, empty store, and a way to open a second connection to the same one (another host). */
export type OpenStore = () => Promise<{ store: Store; another: () => Store }>;

export const ts = '2026-11-23T22:30:21.230Z';
export const session = (id: string): SessionRecord => ({
  id,
  task: 'task',
  target: '/t',
  workspace: '/w',
  sessionDir: `/w/${id}`,
  status: 'planning',
  tier: 1,
  roles: { architect: 'gemini', implementer: 'claude', reviewer: 'codex' },
  config: { review: {} },
  tokens: {},
  createdAt: ts,
  updatedAt: ts,
});
export const entry = (sessionId: string, text: string, key?: string): LogEntryInput => ({
  sessionId,
  type: 'progress',
  agent: 'claude',
  workerId: 'implementer',
  attempt: 1,
  timestamp: ts,
  payload: { text, kind: 'tool.call' },
  ...(key ? { key } : {}),
});
const decision = (id: string, action: OrchestratorDecision['action'] = 'CONTINUE'): OrchestratorDecision => ({ decisionId: id, reviewId: 'r1', action, policy: 'four-rule', inputs: [], reasons: ['ok'], timestamp: ts });

const fencedError = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error instanceof StoreError ? error.kind : String(error);
  }
};

/** The behaviour every Store backend must have; run by the SQLite and the PostgreSQL test files. */
/** The same SQLite store without its writer thread: every batch commits on the calling thread. */
export const inline = (store: SqliteStore): EventLog => ({
  append: (entries) => store.append(entries),
  read: (id, o) => store.read(id, o),
  lastSeq: (id) => store.lastSeq(id),
  records: (id, type) => store.records(id, type),
  agentSessionIdOf: (id, w, a, agent) => store.agentSessionIdOf(id, w, a, agent),
});

export function storeContract(open: OpenStore): void {
  const opened: Store[] = [];
  const fresh = async (): Promise<{ store: Store; another: () => Store }> => {
    const o = await open();
    opened.push(o.store);
    return {
      store: o.store,
      another: () => {
        const s = o.another();
        opened.push(s);
        return s;
      },
    };
  };
  afterEach(() => {
    for (const s of opened.splice(0)) s.close();
  });

  it('gives each session its own gap-free seq, in append order', async () => {
    const { store } = await fresh();
    store.create(session('a'));
    store.create(session('b'));
    store.append([entry('a', '1'), entry('b', 'x'), entry('a', '2')]);
    store.append([entry('a', '3')]);
    expect(store.read('a').map((e) => [e.seq, e.payload.text])).toEqual([
      [1, '1'],
      [2, '2'],
      [3, '3'],
    ]);
    expect(store.read('b').map((e) => e.seq)).toEqual([1]);
    expect(store.lastSeq('a')).toBe(3);
    expect(store.read('a', { afterSeq: 1, limit: 1 }).map((e) => e.seq)).toEqual([2]);
    // records: the orchestrator's own entries of a type, never an agent's.
    expect(store.records('a', 'progress')).toEqual([]);
    store.append([{ ...entry('a', 'pid 7'), type: 'process.spawned', agent: 'orchestrate', workerId: 'session' }, { ...entry('a', 'claude says spawned'), type: 'process.spawned' }]);
    expect(store.records('a', 'process.spawned').map((e) => [e.seq, e.payload.text])).toEqual([[4, 'pid 7']]);
  });

  it('rolls back a whole batch when one entry is bad, so no seq is lost or doubled', async () => {
    const { store } = await fresh();
    store.create(session('a'));
    expect(() => store.append([entry('a', 'ok'), entry('nope', 'bad')])).toThrow(/unknown session nope/);
    expect(store.lastSeq('a')).toBe(0);
    store.append([entry('a', 'again')]);
    expect(store.read('a').map((e) => e.seq)).toEqual([1]);
  });

  it('writes withinCommit rows with their entry, or neither', async () => {
    const { store } = await fresh();
    store.create(session('a'));
    store.append([{ ...entry('a', 'decided'), withinCommit: () => store.saveDecision('a', decision('d1')) }]);
    expect(() =>
      store.append([
        {
          ...entry('a', 'half'),
          withinCommit: () => {
            store.saveDecision('a', decision('d2'));
            throw new Error('crash inside the commit');
          },
        },
      ]),
    ).toThrow(/crash inside/);
    expect(store.decisions('a').map((d) => d.decisionId)).toEqual(['d1']);
    expect(store.lastSeq('a')).toBe(1);
  });

  it('keeps sessions, snapshots and records for another connection', async () => {
    const { store, another } = await fresh();
    store.create(session('a'));
    store.update('a', { status: 'implementing', tier: 2, tokens: { claude: { inputTokens: 5, outputTokens: 1, cachedTokens: 0 } }, updatedAt: ts });
    store.saveSnapshot({ sessionId: 'a', machineVersion: 'm1', xstateVersion: '5.33.3', snapshot: { value: 'planning', context: { n: 1 } }, updatedAt: ts });
    store.saveDecision('a', decision('d1'));
    store.saveRecovery('a', { id: 'rec-1', workerId: 'implementer', agent: 'claude', kind: 'path_outside_workspace', evidence: 'denied', action: 'relaunch', suggestions: [], outcome: 'recovered', attempt: 1, timestamp: ts });
    const again = another();
    expect(again.get('a')).toMatchObject({ status: 'implementing', tier: 2, tokens: { claude: { inputTokens: 5 } }, roles: { implementer: 'claude' } });
    expect(again.list().map((r) => r.id)).toEqual(['a']);
    expect(again.loadSnapshot('a')?.snapshot).toEqual({ value: 'planning', context: { n: 1 } });
    expect(again.decisions('a').map((d) => d.decisionId)).toEqual(['d1']);
    expect(again.recoveries('a').map((r) => r.id)).toEqual(['rec-1']);
    // A decision is recorded once: saving it again changes nothing.
    expect(again.saveDecision('a', decision('d1', 'STOP_AND_ESCALATE'))).toBe(false);
    expect(again.decisions('a').map((d) => d.action)).toEqual(['CONTINUE']);
  });

  it('hands out a lease to one owner at a time, and takes over an expired one with a new epoch', async () => {
    const { store } = await fresh();
    store.create(session('a'));
    const first = store.acquireLease('a', 'host-1', 10_000, 1000);
    expect(first).toMatchObject({ ok: true });
    expect(store.acquireLease('a', 'host-2', 10_000, 2000)).toMatchObject({ ok: false, holder: { owner: 'host-1', expiresAt: 11_000 } });
    expect(store.renewLease('a', 'host-2', 10_000, 2000)).toBe(false);
    expect(store.renewLease('a', 'host-1', 10_000, 5000)).toBe(true);
    const second = store.acquireLease('a', 'host-2', 10_000, 16_000);
    expect(second.ok && first.ok && second.epoch > first.epoch).toBe(true);
    store.releaseLease('a', 'host-2');
    expect(store.acquireLease('a', 'host-3', 10_000, 16_001)).toMatchObject({ ok: true });
  });

  it('refuses every write of a zombie holder once another took the session over', async () => {
    const { store: zombie, another } = await fresh();
    zombie.create(session('a'));
    expect(zombie.acquireLease('a', 'old', 1_000, 1_000)).toMatchObject({ ok: true });
    zombie.append([entry('a', 'before')]);
    const successor = another();
    // The old holder stopped renewing (SIGSTOP); its lease expired and the successor took it.
    expect(successor.acquireLease('a', 'new', 1_000, 5_000)).toMatchObject({ ok: true });
    expect(fencedError(() => zombie.append([entry('a', 'stale')]))).toBe('fenced');
    expect(fencedError(() => zombie.update('a', { status: 'failed', updatedAt: ts }))).toBe('fenced');
    expect(fencedError(() => zombie.saveSnapshot({ sessionId: 'a', machineVersion: 'm', xstateVersion: 'x', snapshot: {}, updatedAt: ts }))).toBe('fenced');
    expect(fencedError(() => zombie.saveDecision('a', decision('dz')))).toBe('fenced');
    expect(zombie.renewLease('a', 'old', 1_000, 5_500)).toBe(false);
    successor.append([entry('a', 'after')]);
    expect(successor.read('a').map((e) => e.payload.text)).toEqual(['before', 'after']);
    expect(successor.get('a')?.status).toBe('planning');
    expect(successor.decisions('a')).toEqual([]);
  });

  it('appends an entry with a key once, however often it is retried', async () => {
    const { store, another } = await fresh();
    store.create(session('a'));
    const [first] = store.append([entry('a', 'one', 'run-1:1')]);
    const again = store.append([entry('a', 'one', 'run-1:1'), entry('a', 'two', 'run-1:2'), entry('a', 'two', 'run-1:2')]);
    expect(again.map((e) => e.seq)).toEqual([first?.seq, 2, 2]);
    expect(another().append([entry('a', 'two', 'run-1:2')]).map((e) => e.seq)).toEqual([2]);
    expect(store.read('a').map((e) => [e.seq, e.payload.text])).toEqual([
      [1, 'one'],
      [2, 'two'],
    ]);
  });

  it('keeps a long batch in order: two sessions interleaved, a retried key and a withinCommit among them', async () => {
    const { store } = await fresh();
    store.create(session('a'));
    store.create(session('b'));
    const batch = Array.from({ length: 45 }, (_, i) => entry(i % 3 === 2 ? 'b' : 'a', `e${i}`, i === 4 || i === 37 ? 'same-key' : undefined));
    const saved = { ...batch[20], withinCommit: () => store.saveDecision('a', decision('mid')) } as (typeof batch)[number];
    batch[20] = saved;
    const out = store.append(batch);
    const a = batch.flatMap((e, i) => (e.sessionId === 'a' && i !== 37 ? [e.payload.text] : []));
    expect(store.read('a').map((e) => e.payload.text)).toEqual(a);
    expect(store.read('a').map((e) => e.seq)).toEqual(a.map((_, i) => i + 1));
    expect(store.read('b').map((e) => e.payload.text)).toEqual(batch.filter((e) => e.sessionId === 'b').map((e) => e.payload.text));
    // The retry is handed back as the entry its key first made.
    expect(out[37]?.seq).toBe(out[4]?.seq);
    expect(out[37]?.payload.text).toBe('e4');
    expect(store.decisions('a').map((d) => d.decisionId)).toEqual(['mid']);
  });

  it('keeps seq gap-free when two connections append to one session in turns', async () => {
    const { store, another } = await fresh();
    store.create(session('a'));
    const other = another();
    for (let i = 0; i < 20; i++) (i % 2 ? other : store).append([entry('a', String(i)), entry('a', `${i}b`)]);
    expect(store.read('a').map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('returns strings exactly as written: NUL, lone surrogates, the escape character itself', async () => {
    const { store, another } = await fresh();
    store.create(session('a'));
    // What agents really print now and then (a NUL from a binary file, an emoji cut in half),
    // and what an escaping scheme must not confuse with its own escapes.
    const odd = ['a\u0000b', '\u0000', '\uFDD0', '\uFDD00', 'x\uFDD0u0041', '\\u0000', 'lone \ud800 high', 'lone \udc00 low', '\ud83d\ude00 pair', 'plain'];
    const payload = { text: odd.join('|'), odd, nested: { 'k\u0000ey': ['\u0000'], ['__proto__']: 'p' } };
    const [written] = store.append([{ ...entry('a', 'x'), payload, key: 'nul-1' }]);
    store.append([{ ...entry('a', 'x'), agent: 'orchestrate', type: 'control', payload }]);
    const review = { reviewId: 'r1', reviewer: 'codex', subjectWorkerId: 'implementer', trigger: 'milestone' as const, outcome: 'answered' as const, verdict: 'concern' as const, summary: 'bad \u0000 byte', findings: [], timestamp: ts };
    store.saveReview('a', review);
    store.saveDecision('a', { ...decision('d1'), reasons: ['nul \u0000 here', '\ud800'] });
    store.saveSnapshot({ sessionId: 'a', machineVersion: 'm', xstateVersion: 'x', snapshot: { context: { finalText: 'done\u0000', odd } }, updatedAt: ts });
    const again = another();
    const [read] = again.read('a');
    expect(read?.payload).toEqual(payload);
    expect(Object.keys(read?.payload.nested ?? {})).toEqual(['k\u0000ey', '__proto__']);
    expect(again.records('a', 'control')[0]?.payload).toEqual(payload);
    // A retried append of the same key finds the stored entry (and hands it back decoded).
    expect(again.append([{ ...entry('a', 'x'), payload, key: 'nul-1' }])[0]).toEqual(written);
    expect(again.reviews('a')[0]?.summary).toBe('bad \u0000 byte');
    expect(again.decisions('a')[0]?.reasons).toEqual(['nul \u0000 here', '\ud800']);
    expect(again.loadSnapshot('a')?.snapshot).toEqual({ context: { finalText: 'done\u0000', odd } });
  });

  it('finds the agent conversation id of a run', async () => {
    const { store } = await fresh();
    store.create(session('a'));
    store.append([entry('a', 'x'), { ...entry('a', 'init'), payload: { text: 'init', agentSessionId: 'conv-7' } }]);
    expect(store.agentSessionIdOf('a', 'implementer', 1, 'claude')).toBe('conv-7');
    expect(store.agentSessionIdOf('a', 'implementer', 2, 'claude')).toBeUndefined();
  });
}
