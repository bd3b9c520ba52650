import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../../src/persistence/types.js';
import { emptyView, foldEntries, foldEntry } from '../../src/view/session-view.js';

let seq = 0;
const at = (s: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const note = (type: string, payload: Record<string, unknown> & { text: string }): LogEntry => ({ seq: ++seq, sessionId: 's', type, agent: 'orchestrate', workerId: 'session', attempt: 0, timestamp: at(seq), payload });
const agent = (workerId: string, name: string, type: string, payload: Record<string, unknown> & { text: string }, usage?: LogEntry['usage'], attempt = 1): LogEntry => ({ seq: ++seq, sessionId: 's', type, agent: name, workerId, attempt, timestamp: at(seq), payload, usage });

describe('session view reducer (pure, log entries only)', () => {
  seq = 0;
  const log: LogEntry[] = [
    note('session.started', { text: 'started', tier: 1 }),
    note('process.spawned', { text: 'implementer (claude) attempt 1: pid 42', pid: 42, workerId: 'implementer', attempt: 1 }),
    note('session.state', { text: 'implementing.working', state: 'implementing.working' }),
    agent('implementer', 'claude', 'task', { text: '0%', kind: 'plan.updated', progress: 0, todos: [{ text: 'write greet', status: 'in_progress' }] }),
    agent('implementer', 'claude', 'progress', { text: 'Write: greet.js\nmore', kind: 'tool.call' }, { inputTokens: 10, outputTokens: 5, cachedTokens: 0, costUsd: 0.01 }),
    note('recovery.pending', { text: 'x', id: 'implementer-1-started', workerId: 'implementer', agent: 'implementer', kind: 'permission_denied', evidence: 'denied', action: 'escalate', suggestions: [], attempt: 1, outcome: 'pending', timestamp: at(0) }),
    note('recovery.escalated', { text: 'x', id: 'implementer-1-started', workerId: 'implementer', agent: 'implementer', kind: 'permission_denied', evidence: 'denied', action: 'escalate', suggestions: [], attempt: 1, outcome: 'escalated', timestamp: at(0) }),
    agent('implementer', 'claude', 'status', { text: 'agent process exited with code 1', kind: 'process.exited', exitCode: 1, stopped: false }),
    note('review.decided', { text: 'r', reviewId: 'review-1', action: 'STOP_AND_ESCALATE', reasons: ['codex: blocker'], reviews: [{ reviewId: 'review-1', reviewer: 'codex', verdict: 'blocker', summary: 'no', outcome: 'answered' }] }),
    note('session.state', { text: 'escalated', state: 'escalated' }),
    note('session.escalated', { text: 'a reviewer found a blocker', reason: 'a reviewer found a blocker', suggestions: ['approve or reject'] }),
    note('control', { text: 'user.approve', control: { type: 'user.approve' } }),
    note('session.state', { text: 'implementing.working', state: 'implementing.working' }),
    note('process.spawned', { text: 'implementer (claude) attempt 2: pid 43', pid: 43, workerId: 'implementer', attempt: 2 }),
  ];
  const view = foldEntries(emptyView('s'), log);

  it('folds workers: agent, pid, status, progress, current task, usage, last activity; a relaunch keeps the totals', () => {
    expect(view.workers.implementer).toMatchObject({ role: 'implementer', agent: 'claude', status: 'running', attempt: 2, pid: 43, currentTask: 'write greet', events: 3 });
    expect(view.workers.implementer?.usage).toEqual({ inputTokens: 10, outputTokens: 5, cachedTokens: 0, costUsd: 0.01 });
    expect(view.tokens.claude?.inputTokens).toBe(10);
    const before = foldEntries(emptyView('s'), log.slice(0, 8));
    expect(before.workers.implementer).toMatchObject({ status: 'failed', lastActivity: 'agent process exited with code 1' });
    expect(foldEntries(emptyView('s'), log.slice(0, 5)).workers.implementer?.lastActivity).toBe('Write: greet.js');
  });

  it('folds reviews, recoveries (latest outcome per id), what it waits for, and controls', () => {
    expect(view.reviews).toEqual([expect.objectContaining({ reviewId: 'review-1', action: 'STOP_AND_ESCALATE', reasons: ['codex: blocker'] })]);
    expect(view.recoveries).toHaveLength(1);
    expect(view.recoveries[0]?.outcome).toBe('escalated');
    const waiting = foldEntries(emptyView('s'), log.slice(0, 11));
    expect(waiting.state).toBe('escalated');
    expect(waiting.waiting).toMatchObject({ kind: 'escalated', text: 'a reviewer found a blocker', suggestions: ['approve or reject'] });
    expect(view.waiting).toBeUndefined();
    expect(view.controls.map((c) => c.type)).toEqual(['user.approve']);
    expect(view.counts.find((c) => c.type === 'session.state')?.n).toBe(3);
  });

  it('is replay-safe: entries at or below lastSeq change nothing, and folding in pages equals folding at once', () => {
    expect(foldEntries(view, log)).toBe(view);
    const paged = foldEntries(foldEntries(emptyView('s'), log.slice(0, 6)), log.slice(3));
    expect(paged).toEqual(view);
    expect(foldEntry(view, log[0] as LogEntry)).toBe(view);
  });
});
