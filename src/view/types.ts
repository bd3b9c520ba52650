import type { DecisionAction, Usage, Verdict } from '../protocol/index.js';

/** Where a worker row is in its life, as the event log shows it. */
export type WorkerPhase = 'running' | 'recovering' | 'exited' | 'failed' | 'stopped';

/**
 * One row per worker: the architect, the implementer, and one per reviewing agent (its review
 * runs `review-N/<agent>` are folded into it, so the list does not grow with every review).
 */
export interface WorkerView {
  id: string;
  role: 'architect' | 'implementer' | 'reviewer';
  agent: string;
  phase: WorkerPhase;
  attempt: number;
  pid?: number | undefined;
  /** 0–100 from the agent's todo/plan updates; 100 once its run completed. */
  progress: number;
  /** The plan task (implementer), the review (reviewer), or the agent's current todo. */
  task?: string | undefined;
  /** The last thing it did, one line. */
  activity?: string | undefined;
  usage: Usage;
  lastActivityAt?: string | undefined;
}

export interface VerdictView {
  reviewer: string;
  verdict: Verdict;
  outcome: string;
  summary: string;
}

export interface ReviewView {
  reviewId: string;
  status: 'running' | 'decided';
  trigger?: string | undefined;
  subject?: string | undefined;
  verdicts: VerdictView[];
  action?: DecisionAction | undefined;
  reasons: string[];
  at: string;
}

/** A command the guard holds until the user confirms or rejects it. */
export interface ConfirmationPrompt {
  id: string;
  tool: string;
  subject: string;
  reason: string;
}

/** What the session waits for the user to answer, if anything. */
export type PromptView =
  | { kind: 'escalation'; reason: string; suggestions: string[]; acceptsClarification: boolean }
  | { kind: 'clarification'; question: string }
  | { kind: 'paused'; reason: string };

export interface LogLine {
  seq: number;
  at: string;
  workerId: string;
  agent: string;
  type: string;
  kind?: string | undefined;
  text: string;
}

export interface SessionView {
  sessionId: string;
  task?: string | undefined;
  /** The full state (`implementing.working`); `phase` is its top level. */
  state: string;
  phase: string;
  ended: boolean;
  tier?: number | undefined;
  tierReason?: string | undefined;
  startedAt?: string | undefined;
  lastSeq: number;
  plan?: { summary: string; tasks: { id: string; title: string }[] } | undefined;
  currentTask?: { id: string; title: string; index: number; total: number } | undefined;
  /** Rows in the order they first appeared. */
  workers: WorkerView[];
  /** Newest last, at most `REVIEWS_KEPT`. */
  reviews: ReviewView[];
  prompt?: PromptView | undefined;
  /** Commands waiting for confirmation, oldest first. */
  confirmations: ConfirmationPrompt[];
  usage: Record<string, Usage>;
  /** A ring of the newest `logCapacity` lines, oldest first. */
  log: LogLine[];
  logCapacity: number;
}
