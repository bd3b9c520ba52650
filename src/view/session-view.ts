import type { LogEntry } from '../persistence/types.js';
import type { OrchestratorDecision, PeerReview, RecoveryAction, TodoItem, Usage } from '../protocol/index.js';

/**
 * A UI-agnostic picture of one session, folded from its committed log entries only (so a
 * dashboard, a terminal UI or a metrics exporter all agree, and a past session looks the same
 * as a live one). Pure: no I/O, no clock; `foldEntry` returns a new view.
 */
export interface WorkerView {
  workerId: string;
  /** architect | implementer | reviewer (review-N/<agent> runs are reviewers). */
  role: string;
  agent: string;
  status: 'launching' | 'running' | 'exited' | 'failed' | 'stopped';
  attempt: number;
  pid?: number | undefined;
  /** 0–100 from the agent's own todo list / progress reports. */
  progress: number;
  currentTask?: string | undefined;
  usage: Usage;
  lastActivity?: string | undefined;
  lastEventAt?: string | undefined;
  events: number;
}

export interface ReviewView {
  reviewId: string;
  action?: OrchestratorDecision['action'] | undefined;
  reasons: string[];
  reviews: PeerReview[];
  decidedAt?: string | undefined;
}

export interface WaitingView {
  kind: 'escalated' | 'awaitingClarification' | 'paused';
  text: string;
  suggestions: string[];
  since: string;
}

/** A command waiting for the user's confirmation (asked by the guard hook). */
export interface ConfirmationView {
  id: string;
  tool: string;
  subject: string;
  reason: string;
  since: string;
}

export interface SessionView {
  sessionId: string;
  lastSeq: number;
  state: string;
  tier?: number | undefined;
  startedAt?: string | undefined;
  updatedAt?: string | undefined;
  plan?: { summary: string; tasks: { id: string; title: string }[] } | undefined;
  workers: Record<string, WorkerView>;
  reviews: ReviewView[];
  recoveries: RecoveryAction[];
  /** What the session waits for, while it waits. */
  waiting?: WaitingView | undefined;
  tokens: Record<string, Usage>;
  /** Counts by `<type>\u0000<agent>` are kept flat so the view stays plain JSON. */
  counts: { type: string; agent: string; n: number }[];
  controls: { seq: number; type: string; at: string }[];
  /** Confirmations asked and not answered yet, oldest first. */
  confirmations: ConfirmationView[];
}

const ZERO: Usage = { inputTokens: 0, outputTokens: 0, cachedTokens: 0 };

export const emptyView = (sessionId: string): SessionView => ({ sessionId, lastSeq: 0, state: 'planning', workers: {}, reviews: [], recoveries: [], tokens: {}, counts: [], controls: [], confirmations: [] });

export function addUsage(a: Usage, b: Usage): Usage {
  const cost = (a.costUsd ?? 0) + (b.costUsd ?? 0);
  return { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens, cachedTokens: a.cachedTokens + b.cachedTokens, ...(a.costUsd !== undefined || b.costUsd !== undefined ? { costUsd: cost } : {}) };
}

const roleOf = (workerId: string): string => (workerId.startsWith('review-') ? 'reviewer' : workerId);
const WAITING = new Set(['escalated', 'awaitingClarification', 'paused']);

function worker(view: SessionView, workerId: string, agent: string, attempt: number): WorkerView {
  const known = view.workers[workerId];
  if (known && known.attempt === attempt) return { ...known, agent: agent || known.agent };
  // A relaunch keeps the totals of the worker but starts its run afresh.
  return { workerId, role: roleOf(workerId), agent: agent || known?.agent || '', status: 'launching', attempt, progress: known?.progress ?? 0, usage: known?.usage ?? ZERO, events: known?.events ?? 0, currentTask: known?.currentTask };
}

function todoTask(todos: TodoItem[] | undefined): string | undefined {
  return todos?.find((t) => t.status === 'in_progress')?.text;
}

function count(counts: SessionView['counts'], type: string, agent: string): SessionView['counts'] {
  const i = counts.findIndex((c) => c.type === type && c.agent === agent);
  if (i < 0) return [...counts, { type, agent, n: 1 }];
  return counts.map((c, j) => (j === i ? { ...c, n: c.n + 1 } : c));
}

function foldAgentEvent(view: SessionView, e: LogEntry): SessionView {
  const p = e.payload;
  const w = worker(view, e.workerId, e.agent, e.attempt);
  const kind = typeof p.kind === 'string' ? p.kind : '';
  const exited = kind === 'process.exited';
  const status: WorkerView['status'] = exited ? (p.stopped === true ? 'stopped' : p.exitCode === 0 ? 'exited' : 'failed') : w.status === 'launching' ? 'running' : w.status;
  const todos = Array.isArray(p.todos) ? (p.todos as TodoItem[]) : undefined;
  const next: WorkerView = {
    ...w,
    status,
    events: w.events + 1,
    lastEventAt: e.timestamp,
    lastActivity: p.text.split('\n')[0]?.slice(0, 200),
    progress: typeof p.progress === 'number' ? p.progress : w.progress,
    currentTask: todoTask(todos) ?? w.currentTask,
    usage: e.usage ? addUsage(w.usage, e.usage) : w.usage,
  };
  return {
    ...view,
    workers: { ...view.workers, [e.workerId]: next },
    tokens: e.usage ? { ...view.tokens, [e.agent]: addUsage(view.tokens[e.agent] ?? ZERO, e.usage) } : view.tokens,
  };
}

function foldRecord(view: SessionView, e: LogEntry): SessionView {
  const p = e.payload;
  switch (e.type) {
    case 'session.started':
    case 'session.resumed':
    case 'session.tier':
      return { ...view, tier: typeof p.tier === 'number' ? p.tier : view.tier, startedAt: view.startedAt ?? e.timestamp };
    case 'session.state': {
      const state = typeof p.state === 'string' ? p.state : p.text;
      const top = state.split('.')[0] ?? state;
      return { ...view, state, waiting: WAITING.has(top) ? view.waiting : undefined };
    }
    case 'session.plan': {
      const plan = p.plan as { summary: string; tasks: { id: string; title: string }[] };
      return { ...view, plan: { summary: plan.summary, tasks: plan.tasks.map((t) => ({ id: t.id, title: t.title })) } };
    }
    case 'session.escalated':
      return { ...view, waiting: { kind: 'escalated', text: p.text, suggestions: Array.isArray(p.suggestions) ? (p.suggestions as string[]) : [], since: e.timestamp } };
    case 'session.question':
      return { ...view, waiting: { kind: 'awaitingClarification', text: p.text, suggestions: [], since: e.timestamp } };
    case 'session.paused':
      return { ...view, waiting: { kind: 'paused', text: p.text, suggestions: [], since: e.timestamp } };
    case 'process.spawned': {
      const workerId = typeof p.workerId === 'string' ? p.workerId : 'unknown';
      const agent = /\((\S+)\)/.exec(p.text)?.[1] ?? '';
      const w = worker(view, workerId, agent, typeof p.attempt === 'number' ? p.attempt : 1);
      return { ...view, workers: { ...view.workers, [workerId]: { ...w, pid: typeof p.pid === 'number' ? p.pid : undefined, status: 'running', lastEventAt: e.timestamp } } };
    }
    case 'review.decided': {
      const entry: ReviewView = { reviewId: String(p.reviewId), action: p.action as ReviewView['action'], reasons: (p.reasons as string[] | undefined) ?? [], reviews: (p.reviews as PeerReview[] | undefined) ?? [], decidedAt: e.timestamp };
      return { ...view, reviews: [...view.reviews.filter((r) => r.reviewId !== entry.reviewId), entry] };
    }
    case 'confirmation.requested': {
      const str = (v: unknown): string => (typeof v === 'string' ? v : '');
      const c: ConfirmationView = { id: str(p.id), tool: str(p.tool), subject: str(p.subject), reason: str(p.reason), since: e.timestamp };
      return c.id && !view.confirmations.some((x) => x.id === c.id) ? { ...view, confirmations: [...view.confirmations, c] } : view;
    }
    case 'confirmation.answered':
      return { ...view, confirmations: view.confirmations.filter((c) => c.id !== p.id) };
    case 'control':
      return { ...view, controls: [...view.controls, { seq: e.seq, type: p.text, at: e.timestamp }] };
    default:
      if (e.type.startsWith('recovery.')) {
        const { text: _text, ...action } = p;
        return { ...view, recoveries: [...view.recoveries.filter((r) => r.id !== action.id), action as unknown as RecoveryAction] };
      }
      return view;
  }
}

/** Folds one entry; entries at or below `lastSeq` are ignored, so replays are harmless. */
export function foldEntry(view: SessionView, e: LogEntry): SessionView {
  if (e.seq <= view.lastSeq) return view;
  const folded = e.agent === 'orchestrate' ? foldRecord(view, e) : foldAgentEvent(view, e);
  return { ...folded, lastSeq: e.seq, updatedAt: e.timestamp, counts: count(folded.counts, e.type, e.agent) };
}

export const foldEntries = (view: SessionView, entries: readonly LogEntry[]): SessionView => entries.reduce(foldEntry, view);

/** Decisions as the policy recorded them, in order. */
export const decisionsOf = (view: SessionView): ReviewView[] => view.reviews.filter((r) => r.action !== undefined);
