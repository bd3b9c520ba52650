import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { EventWriter } from '../../src/persistence/event-writer.js';
import { SqliteStore } from '../../src/persistence/sqlite/store.js';
import type { EventLog, LogEntry, LogEntryInput } from '../../src/persistence/types.js';
import { envelopeOf } from '../../src/protocol/envelope.js';
import type { AgentEventInput } from '../../src/protocol/index.js';
import { AgentCopies, copyFromLog, type CopyFailure } from '../../src/runtime/agent-copies.js';
import { SessionRecorder } from '../../src/runtime/recorder.js';
import { tempDir } from '../helpers/fake-agents.js';
import { entry, inline, session } from '../persistence/store-contract.js';

const as = (agent: string, text: string): LogEntryInput => ({ ...entry('s', text), agent, payload: { text, note: 'ünïcødé → ✓' } });
const lines = (path: string): unknown[] =>
  readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);


describe.each([
  ['on the store’s writer thread', (store: SqliteStore): EventLog => store],
  ['on this thread', inline],
])('AgentCopies, the log committed %s', (_name, logOf) => {
  it('copies each agent’s committed entries to <agent>.jsonl as the envelopes clients get, in seq order; the orchestrator’s own are not copied', async () => {
    const dir = tempDir('orch-copies-');
    const store = new SqliteStore(join(dir, 'orchestrate.db'));
    store.create(session('s'));
    const sessionDir = join(dir, 'ws', 's');
    const failures: CopyFailure[] = [];
    const copies = new AgentCopies(sessionDir, (f) => failures.push(f));
    const writer = new EventWriter(logOf(store), (batch) => copies.write(batch), (e) => {
      throw e;
    });
    // Two turns, each a mix of agents and the orchestrator's own records.
    for (const [agent, text] of [['claude', 'c1'], ['claude', 'c2'], ['orchestrate', 'o1'], ['codex', 'x1'], ['claude', 'c3']] as const) writer.append(as(agent, text));
    await vi.waitFor(() => expect(store.lastSeq('s')).toBe(5));
    for (const [agent, text] of [['codex', 'x2'], ['claude', 'c4']] as const) writer.append(as(agent, text));
    writer.close();
    copies.close();

    const logged = store.read('s');
    const of = (agent: string): unknown[] => logged.filter((e: LogEntry) => e.agent === agent).map((e) => JSON.parse(JSON.stringify(envelopeOf(e))) as unknown);
    expect(lines(join(sessionDir, 'claude.jsonl'))).toEqual(of('claude'));
    expect(lines(join(sessionDir, 'codex.jsonl'))).toEqual(of('codex'));
    expect(of('claude').map((e) => (e as { payload: { text: string } }).payload.text)).toEqual(['c1', 'c2', 'c3', 'c4']);
    expect(existsSync(join(sessionDir, 'orchestrate.jsonl'))).toBe(false);
    expect(failures).toEqual([]);
    store.close();
  });
});

describe('AgentCopies when a copy cannot be written', () => {
  const committed = (agent: string, seq: number): LogEntry => ({ ...as(agent, `t${seq}`), seq });

  it('says so once per file, as a value with a kind, and keeps copying the other agents', () => {
    const sessionDir = tempDir('orch-copies-');
    // claude.jsonl is a directory: it cannot be opened for appending.
    mkdirSync(join(sessionDir, 'claude.jsonl'));
    const failures: CopyFailure[] = [];
    const copies = new AgentCopies(sessionDir, (f) => failures.push(f));
    copies.write([committed('claude', 1), committed('codex', 2)]);
    copies.write([committed('claude', 3), committed('codex', 4)]);
    copies.close();
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ kind: 'copy.failed', agent: 'claude', file: join(sessionDir, 'claude.jsonl') });
    expect(failures[0]?.message).toMatch(/EISDIR/);
    expect(lines(join(sessionDir, 'codex.jsonl')).map((e) => (e as LogEntry).seq)).toEqual([2, 4]);
  });

  it('never writes outside the session folder for an agent name from another host that is no file name', () => {
    const root = tempDir('orch-copies-');
    const sessionDir = join(root, 'ws', 's');
    const failures: CopyFailure[] = [];
    const copies = new AgentCopies(sessionDir, (f) => failures.push(f));
    copies.write([committed('../../escaped', 1), committed('claude', 2)]);
    copies.close();
    expect(existsSync(join(root, 'escaped.jsonl'))).toBe(false);
    expect(failures.map((f) => [f.kind, f.agent])).toEqual([['copy.failed', '../../escaped']]);
    expect(lines(join(sessionDir, 'claude.jsonl'))).toHaveLength(1);
  });

  it('reports a write that failed (a full disk, played by /dev/full) once, and stops writing that copy', () => {
    const sessionDir = tempDir('orch-copies-');
    symlinkSync('/dev/full', join(sessionDir, 'claude.jsonl'));
    const failures: CopyFailure[] = [];
    const copies = new AgentCopies(sessionDir, (f) => failures.push(f));
    copies.write([committed('claude', 1), committed('codex', 2)]);
    copies.write([committed('claude', 3)]);
    copies.close();
    expect(failures.map((f) => [f.kind, f.agent])).toEqual([['copy.failed', 'claude']]);
    expect(failures[0]?.message).toMatch(/ENOSPC/);
    expect(lines(join(sessionDir, 'codex.jsonl'))).toHaveLength(1);
  });
});

describe('copyFromLog: a session’s copies', () => {
  it('follow its bus, and a copy that fails is recorded in the log, once', async () => {
    const dir = tempDir('orch-copies-');
    const store = new SqliteStore(join(dir, 'orchestrate.db'));
    store.create(session('s'));
    const sessionDir = join(dir, 'ws', 's');
    mkdirSync(join(sessionDir, 'codex.jsonl'), { recursive: true });
    const recorder = new SessionRecorder(store, 's', pino({ enabled: false }));
    const copies = copyFromLog(recorder, sessionDir, pino({ enabled: false }));
    const event = (agent: string, text: string): AgentEventInput => ({ type: 'progress', agent, timestamp: '2026-01-01T00:00:00.000Z', payload: { text }, sessionId: 's', workerId: 'w', attempt: 1 });
    recorder.agentEvents([event('claude', 'c1'), event('codex', 'x1')], () => undefined);
    await vi.waitFor(() => expect(store.records('s', 'workspace.copy_failed')).toHaveLength(1));
    recorder.agentEvents([event('codex', 'x2')], () => undefined);
    recorder.writer.close();
    copies.close();
    expect(store.records('s', 'workspace.copy_failed').map((r) => r.payload)).toEqual([
      expect.objectContaining({ kind: 'copy.failed', agent: 'codex', file: join(sessionDir, 'codex.jsonl'), text: expect.stringContaining('codex.jsonl could not be written') as string }),
    ]);
    expect(lines(join(sessionDir, 'claude.jsonl'))).toHaveLength(1);
    store.close();
  });
});
