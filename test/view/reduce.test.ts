import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../../src/persistence/types.js';
import { applyEntries, initialView, reduceView, type SessionView } from '../../src/view/index.js';

const SID = 's1';
let seq = 0;
const at = (n: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();
const rec = (type: string, payload: Record<string, unknown>): LogEntry => ({ sessionId: SID, seq: ++seq, type, agent: 'orchestrate', workerId: 'session', attempt: 0, timestamp: at(seq), payload: { text: type, ...payload } });
const ev = (workerId: string, agent: string, type: string, payload: Record<string, unknown>, usage?: LogEntry['usage']): LogEntry => ({
  sessionId: SID,
  seq: ++seq,
  type,
  agent,
  workerId,
  attempt: 1,
  timestamp: at(seq),
  payload: { text: `${type} text`, ...payload },
  ...(usage ? { usage } : {}),
});
const fold = (entries: LogEntry[], view: SessionView = initialView(SID)): SessionView => entries.reduce(reduceView, view);

describe('session view reducer', () => {
  it('keeps the commands waiting for confirmation until they are answered', () => {
    seq = 0;
    const asked = { id: 'c-1', tool: 'Bash', subject: 'git push', reason: 'needs confirmation', cli: 'claude', cwd: '/r', at: 'x' };
    const v = fold([rec('confirmation.requested', asked), rec('confirmation.requested', { ...asked, id: 'c-2' }), rec('confirmation.requested', asked)]);
    expect(v.confirmations).toEqual([
      { id: 'c-1', tool: 'Bash', subject: 'git push', reason: 'needs confirmation' },
      { id: 'c-2', tool: 'Bash', subject: 'git push', reason: 'needs confirmation' },
    ]);
    expect(fold([rec('confirmation.answered', { id: 'c-1', approve: true })], v).confirmations.map((c) => c.id)).toEqual(['c-2']);
  });

  it('follows phase, tier, plan and the implementer through a session', () => {
    seq = 0;
    const v = fold([
      rec('session.started', { tier: 1, reason: 'all three', task: 'Add greeting' }),
      rec('process.spawned', { workerId: 'architect', agent: 'gemini', attempt: 1, pid: 10 }),
      rec('session.state', { state: 'planning.working' }),
      ev('architect', 'gemini', 'status', { kind: 'run.completed' }, { inputTokens: 100, outputTokens: 10, cachedTokens: 0 }),
      ev('architect', 'gemini', 'status', { kind: 'process.exited', exitCode: 0 }),
      rec('session.plan', { plan: { summary: 'Greeting', tasks: [{ id: 't1', title: 'Write greet.js', extra: 1 }] } }),
      rec('session.tier', { tier: 2, reason: 'codex lost' }),
      rec('process.spawned', { workerId: 'implementer', agent: 'claude', attempt: 1, pid: 11 }),
      rec('session.state', { state: 'implementing.working' }),
      rec('session.task', { taskId: 't1', title: 'Write greet.js', index: 0, total: 1 }),
      ev('implementer', 'claude', 'task', { kind: 'plan.updated', progress: 40 }),
      ev('implementer', 'claude', 'progress', { kind: 'tool.call', text: 'Bash: npm test\nmore' }, { inputTokens: 5, outputTokens: 5, cachedTokens: 1, costUsd: 0.5 }),
    ]);
    expect(v).toMatchObject({ phase: 'implementing', state: 'implementing.working', tier: 2, tierReason: 'codex lost', task: 'Add greeting', ended: false, lastSeq: 12 });
    expect(v.plan).toEqual({ summary: 'Greeting', tasks: [{ id: 't1', title: 'Write greet.js' }] });
    expect(v.workers.map((w) => [w.id, w.role, w.agent, w.phase])).toEqual([
      ['architect', 'architect', 'gemini', 'exited'],
      ['implementer', 'implementer', 'claude', 'running'],
    ]);
    const impl = v.workers[1];
    expect(impl).toMatchObject({ progress: 40, task: 't1: Write greet.js', activity: 'Bash: npm test', pid: 11, lastActivityAt: at(12) });
    expect(impl?.usage).toEqual({ inputTokens: 5, outputTokens: 5, cachedTokens: 1, costUsd: 0.5 });
    expect(v.workers[0]?.progress).toBe(100);
    expect(v.usage.gemini?.inputTokens).toBe(100);
  });

  it('folds review runs into one row per reviewing agent and records decisions with verdicts', () => {
    seq = 0;
    const v = fold([
      rec('review.tree', { reviewId: 'review-1', tree: 'abc' }),
      rec('process.spawned', { workerId: 'review-1/codex', attempt: 1, pid: 3 }),
      ev('review-1/codex', 'codex', 'status', { kind: 'run.started' }, { inputTokens: 1, outputTokens: 1, cachedTokens: 0 }),
      ev('review-1/codex', 'codex', 'status', { kind: 'process.exited', exitCode: 0 }),
      rec('review.decided', {
        reviewId: 'review-1',
        action: 'LOG_WARNING',
        reasons: ['one concern'],
        reviews: [{ reviewer: 'codex', verdict: 'concern', outcome: 'answered', summary: 'rename x', trigger: 'milestone', subjectWorkerId: 'implementer', findings: [] }],
      }),
      rec('review.tree', { reviewId: 'review-2', tree: 'def' }),
      rec('process.spawned', { workerId: 'review-2/codex', attempt: 1, pid: 4 }),
      ev('review-2/codex', 'codex', 'status', { kind: 'run.started' }, { inputTokens: 2, outputTokens: 2, cachedTokens: 0 }),
    ]);
    expect(v.workers).toHaveLength(1);
    expect(v.workers[0]).toMatchObject({ id: 'reviewer:codex', role: 'reviewer', agent: 'codex', phase: 'running', task: 'review-2', pid: 4 });
    expect(v.workers[0]?.usage.inputTokens).toBe(3);
    expect(v.reviews.map((r) => [r.reviewId, r.status, r.action])).toEqual([
      ['review-1', 'decided', 'LOG_WARNING'],
      ['review-2', 'running', undefined],
    ]);
    expect(v.reviews[0]).toMatchObject({ trigger: 'milestone', subject: 'implementer', reasons: ['one concern'], verdicts: [{ reviewer: 'codex', verdict: 'concern', summary: 'rename x' }] });
  });

  it('shows what the session waits for, and clears it when the session goes on', () => {
    seq = 0;
    let v = fold([rec('session.state', { state: 'escalated' }), rec('session.escalated', { reason: 'codex: blocker', suggestions: ['fix it'], source: 'review', onApprove: 'advance' })]);
    expect(v.prompt).toEqual({ kind: 'escalation', reason: 'codex: blocker', suggestions: ['fix it'], acceptsClarification: false });
    v = fold([rec('session.state', { state: 'implementing.working' })], v);
    expect(v.prompt).toBeUndefined();
    v = fold([rec('session.state', { state: 'awaitingClarification' }), rec('session.question', { text: 'which db?' })], v);
    expect(v.prompt).toEqual({ kind: 'clarification', question: 'which db?' });
    v = fold([rec('session.state', { state: 'paused' })], v);
    expect(v.prompt).toEqual({ kind: 'paused', reason: '' });
    v = fold([rec('session.paused', { reason: 'budget reached' })], v);
    expect(v.prompt).toEqual({ kind: 'paused', reason: 'budget reached' });
    v = fold([rec('session.state', { state: 'stopped' })], v);
    expect(v).toMatchObject({ phase: 'stopped', ended: true, prompt: undefined });
  });

  it('marks stopped, failed and recovering workers', () => {
    seq = 0;
    const v = fold([
      rec('process.spawned', { workerId: 'implementer', agent: 'claude', attempt: 1, pid: 1 }),
      rec('recovery.pending', { workerId: 'implementer', kind: 'root_refusal' }),
      rec('process.spawned', { workerId: 'architect', agent: 'gemini', attempt: 1, pid: 2 }),
      ev('architect', 'gemini', 'error', { kind: 'process.exited', exitCode: 1 }),
    ]);
    expect(v.workers.map((w) => w.phase)).toEqual(['recovering', 'failed']);
    const stopped = fold([ev('implementer', 'claude', 'status', { kind: 'process.exited', exitCode: null, stopped: true })], v);
    expect(stopped.workers[0]?.phase).toBe('stopped');
  });

  it('is pure, skips entries it has seen, and keeps a bounded log ring', () => {
    seq = 0;
    const start = initialView(SID, { logCapacity: 5 });
    const entries = Array.from({ length: 12 }, (_, i) => ev('implementer', 'claude', 'progress', { kind: 'tool.call', text: `call ${i}` }));
    const once = applyEntries(start, entries);
    expect(start.log).toEqual([]);
    expect(start.workers).toEqual([]);
    expect(once.log.map((l) => l.text)).toEqual(['call 7', 'call 8', 'call 9', 'call 10', 'call 11']);
    // Overlapping replays (a store page and the live bus) change nothing.
    expect(applyEntries(once, entries.slice(3))).toBe(once);
    // One at a time gives the same view as one batch.
    expect(fold(entries, start)).toEqual(once);
    const more = applyEntries(once, [ev('implementer', 'claude', 'error', { text: 'boom' })]);
    expect(more.log.map((l) => l.text)).toEqual(['call 8', 'call 9', 'call 10', 'call 11', 'boom']);
    expect(applyEntries(once, [{ ...ev('x', 'claude', 'status', {}), sessionId: 'other' }])).toBe(once);
  });

  it('ignores records that do not fit their schema instead of throwing', () => {
    seq = 0;
    const v = fold([rec('session.state', { state: 42 }), rec('review.decided', { reviewId: 'r', action: 'MAYBE' }), rec('session.plan', { plan: 'nope' })]);
    expect(v).toMatchObject({ state: 'starting', reviews: [], lastSeq: 3 });
    expect(v.plan).toBeUndefined();
    expect(v.log).toHaveLength(3);
  });
});

describe('session view reducer with overlapping batches', () => {
  it('applies an entry once when a batch repeats it (history page + live bus)', () => {
    seq = 0;
    const a = ev('implementer', 'claude', 'progress', { text: 'a' }, { inputTokens: 1, outputTokens: 0, cachedTokens: 0 });
    const b = ev('implementer', 'claude', 'progress', { text: 'b' }, { inputTokens: 1, outputTokens: 0, cachedTokens: 0 });
    const v = applyEntries(initialView(SID), [a, b, a, b]);
    expect(v.log.map((l) => l.text)).toEqual(['a', 'b']);
    expect(v.usage.claude?.inputTokens).toBe(2);
  });
});
