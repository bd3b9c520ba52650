import type { LogEntry } from '../persistence/types.js';
import * as R from './records.js';
import type { LogLine, ReviewView, SessionView, WorkerView } from './types.js';
import { addUsage, applyAgentEvent, firstLine, newWorker, rowOf, ZERO_USAGE } from './workers.js';

export const LOG_CAPACITY = 500;
export const REVIEWS_KEPT = 20;
const WAITING = new Set(['paused', 'awaitingClarification', 'escalated']);
const FINAL = new Set(['completed', 'failed', 'stopped']);

export function initialView(sessionId: string, options: { task?: string; logCapacity?: number } = {}): SessionView {
  return { sessionId, task: options.task, state: 'starting', phase: 'starting', ended: false, lastSeq: 0, workers: [], reviews: [], confirmations: [], usage: {}, log: [], logCapacity: options.logCapacity ?? LOG_CAPACITY };
}

export const toLogLine = (e: LogEntry): LogLine => ({
  seq: e.seq,
  at: e.timestamp,
  workerId: e.workerId,
  agent: e.agent,
  type: e.type,
  kind: typeof e.payload.kind === 'string' ? e.payload.kind : undefined,
  text: firstLine(e.payload.text),
});

/** A mutable copy of the parts a batch may change; the caller's view is never touched. */
type Draft = SessionView & { index: Map<string, number> };

function worker(d: Draft, id: string, role: WorkerView['role'], agent: string): WorkerView {
  const i = d.index.get(id);
  if (i !== undefined) return d.workers[i] as WorkerView;
  const w = newWorker(id, role, agent);
  d.index.set(id, d.workers.length);
  d.workers.push(w);
  return w;
}

function put(d: Draft, w: WorkerView): void {
  const i = d.index.get(w.id);
  if (i !== undefined) d.workers[i] = w;
}

function review(d: Draft, reviewId: string, at: string): ReviewView {
  const found = d.reviews.find((r) => r.reviewId === reviewId);
  if (found) return found;
  const r: ReviewView = { reviewId, status: 'running', verdicts: [], reasons: [], at };
  d.reviews = [...d.reviews, r].slice(-REVIEWS_KEPT);
  return r;
}

const replaceReview = (d: Draft, r: ReviewView): void => {
  d.reviews = d.reviews.map((x) => (x.reviewId === r.reviewId ? r : x));
};

function applyRecord(d: Draft, e: LogEntry): void {
  const p = e.payload;
  switch (e.type) {
    case 'session.started':
    case 'session.resumed': {
      const s = R.Started.safeParse(p);
      if (!s.success) return;
      d.tier = s.data.tier;
      d.tierReason = s.data.reason;
      d.task = s.data.task ?? d.task;
      d.startedAt ??= e.timestamp;
      return;
    }
    case 'session.tier': {
      const s = R.TierChange.safeParse(p);
      if (s.success) [d.tier, d.tierReason] = [s.data.tier, s.data.reason];
      return;
    }
    case 'session.state': {
      const s = R.StateChange.safeParse(p);
      if (!s.success) return;
      d.state = s.data.state;
      d.phase = s.data.state.split('.')[0] ?? s.data.state;
      d.ended = FINAL.has(d.phase);
      if (d.phase === 'paused') d.prompt = { kind: 'paused', reason: '' };
      else if (!WAITING.has(d.phase)) d.prompt = undefined;
      if (d.phase !== 'implementing' && !WAITING.has(d.phase)) d.currentTask = undefined;
      return;
    }
    case 'session.paused': {
      const s = R.Paused.safeParse(p);
      if (s.success && d.phase === 'paused') d.prompt = { kind: 'paused', reason: s.data.reason };
      return;
    }
    case 'session.question': {
      const s = R.Question.safeParse(p);
      if (s.success) d.prompt = { kind: 'clarification', question: s.data.text };
      return;
    }
    case 'session.escalated': {
      const s = R.Escalated.safeParse(p);
      if (s.success) d.prompt = { kind: 'escalation', reason: s.data.reason, suggestions: s.data.suggestions, acceptsClarification: s.data.acceptsClarification === true };
      return;
    }
    case 'confirmation.requested': {
      const s = R.ConfirmationRequested.safeParse(p);
      if (s.success && !d.confirmations.some((c) => c.id === s.data.id)) d.confirmations = [...d.confirmations, s.data];
      return;
    }
    case 'confirmation.answered': {
      const s = R.ConfirmationAnswered.safeParse(p);
      if (s.success) d.confirmations = d.confirmations.filter((c) => c.id !== s.data.id);
      return;
    }
    case 'session.plan': {
      const s = R.PlanRecord.safeParse(p);
      if (s.success) d.plan = { summary: s.data.plan.summary, tasks: s.data.plan.tasks.map((t) => ({ id: t.id, title: t.title })) };
      return;
    }
    case 'session.task': {
      const s = R.TaskStarted.safeParse(p);
      if (!s.success) return;
      d.currentTask = { id: s.data.taskId, title: s.data.title, index: s.data.index, total: s.data.total };
      const impl = d.index.get('implementer');
      if (impl !== undefined) put(d, { ...(d.workers[impl] as WorkerView), task: `${s.data.taskId}: ${s.data.title}` });
      return;
    }
    case 'process.spawned': {
      const s = R.Spawned.safeParse(p);
      if (!s.success) return;
      const row = rowOf(s.data.workerId, s.data.agent);
      const w = worker(d, row.id, row.role, row.agent ?? s.data.agent ?? '?');
      const task = row.role === 'reviewer' ? row.reviewId : row.role === 'implementer' && d.currentTask ? `${d.currentTask.id}: ${d.currentTask.title}` : row.role === 'architect' ? 'planning' : w.task;
      put(d, { ...w, agent: row.agent ?? s.data.agent ?? w.agent, phase: 'running', attempt: s.data.attempt, pid: s.data.pid, progress: 0, task, lastActivityAt: e.timestamp });
      return;
    }
    case 'recovery.pending':
    case 'recovery.recovered':
    case 'recovery.escalated': {
      const s = R.Recovery.safeParse(p);
      const i = s.success ? d.index.get(rowOf(s.data.workerId).id) : undefined;
      if (i === undefined) return;
      const w = d.workers[i] as WorkerView;
      put(d, { ...w, phase: e.type === 'recovery.pending' ? 'recovering' : e.type === 'recovery.recovered' ? 'running' : 'failed' });
      return;
    }
    case 'review.tree': {
      const s = R.ReviewStarted.safeParse(p);
      if (s.success) review(d, s.data.reviewId, e.timestamp);
      return;
    }
    case 'review.decided': {
      const s = R.ReviewDecided.safeParse(p);
      if (!s.success) return;
      const r = review(d, s.data.reviewId, e.timestamp);
      const first = s.data.reviews[0];
      replaceReview(d, {
        ...r,
        status: 'decided',
        action: s.data.action,
        reasons: s.data.reasons,
        trigger: first?.trigger,
        subject: first?.subjectWorkerId,
        verdicts: s.data.reviews.map((v) => ({ reviewer: v.reviewer, verdict: v.verdict, outcome: v.outcome, summary: firstLine(v.summary, 200) })),
        at: e.timestamp,
      });
      return;
    }
    default:
  }
}

function applyAgent(d: Draft, e: LogEntry): void {
  const row = rowOf(e.workerId, e.agent);
  const w = worker(d, row.id, row.role, e.agent);
  put(d, applyAgentEvent(w, e));
  if (e.usage) d.usage = { ...d.usage, [e.agent]: addUsage(d.usage[e.agent] ?? ZERO_USAGE, e.usage) };
}

/**
 * The session view after `entries` (committed log entries, in seq order). Pure: `view` is not
 * changed; entries at or below `view.lastSeq` are skipped, so replaying overlapping pages (the
 * store read and the live bus) is harmless. One call per batch keeps floods cheap: the log ring
 * is copied once per batch, not once per entry.
 */
export function applyEntries(view: SessionView, entries: readonly LogEntry[]): SessionView {
  const fresh = entries.filter((e) => e.sessionId === view.sessionId && e.seq > view.lastSeq);
  if (fresh.length === 0) return view;
  const d: Draft = { ...view, workers: [...view.workers], index: new Map(view.workers.map((w, i) => [w.id, i])) };
  let lastSeq = view.lastSeq;
  const applied: LogEntry[] = [];
  for (const e of fresh) {
    if (e.seq <= lastSeq) continue;
    lastSeq = e.seq;
    applied.push(e);
    if (e.agent === 'orchestrate') applyRecord(d, e);
    else applyAgent(d, e);
  }
  // Statechart transitions are for the inspector (orchestrate inspect, /inspect), not the log pane.
  const kept = applied.filter((e) => e.type !== 'machine.transition').slice(-view.logCapacity).map(toLogLine);
  const log = kept.length >= view.logCapacity ? kept : [...view.log.slice(-(view.logCapacity - kept.length)), ...kept];
  const { index: _index, ...rest } = d;
  return { ...rest, lastSeq, log };
}

export const reduceView = (view: SessionView, entry: LogEntry): SessionView => applyEntries(view, [entry]);
