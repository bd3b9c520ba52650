import type { AgentEventInput, PlannedTask, ReviewTrigger, Role, TaskBreakdown, Usage } from '../protocol/index.js';
import type { TierChoice } from '../probe/tiers.js';
import { implementPrompt, planPrompt, planSchema } from '../prompts/index.js';
import type { PolicyConfig } from './decision-policy.js';
import type { AgentProcessInput, LaunchRequest, WorkerLimits } from './events.js';
import type { ReviewInput } from './review.js';
import type { WorkerInput } from './worker.js';

/** Launch data per agent that does not depend on the step (command, env, dirs, MCP servers). */
export type LaunchTemplate = Omit<LaunchRequest, 'role' | 'mode' | 'prompt' | 'outputSchema'>;

export interface SessionSettings {
  silenceMs: number;
  reviewerTimeoutMs: number;
  verifyTimeoutMs: number;
  maxRecoveryAttempts: number;
  policy: PolicyConfig;
  triggers: Record<'milestone' | 'blocker' | 'request' | 'manual' | 'silence', boolean>;
  budgets: { tokens?: number | undefined; usd?: number | undefined; perAgent: Record<string, { tokens?: number | undefined; usd?: number | undefined }> };
  /** Per-worker resource limits (CPU %, RSS, runtime); absent: not enforced. */
  limits?: WorkerLimits | undefined;
}

export interface SessionInput {
  sessionId: string;
  task: string;
  sessionDir: string;
  tier: TierChoice;
  adapters: Record<string, AgentProcessInput['adapter']>;
  templates: Record<string, LaunchTemplate>;
  settings: SessionSettings;
  /** Start time from the runtime clock: the review timestamp before any event arrived. */
  startedAt: string;
}

/** Where the session goes on after a wait: the interrupted phase, or `completed` once the final review's blocker was approved. */
export type ResumeTarget = 'planning' | 'implementing' | 'finalReview' | 'completed';

export interface Escalation {
  source: 'review' | 'worker' | 'budget' | 'tier';
  reason: string;
  suggestions: string[];
  /**
   * What `user.approve` does: `retry` runs the interrupted step again (a failed or stopped worker,
   * a thrown actor error, a mid-run review's stop); `advance` goes past the blocker of a phase
   * review (plan review → implementing, task review → the next task, final review → completed).
   */
  onApprove: 'retry' | 'advance';
  /** A plan that failed validation: `user.clarify` stores the text and plans again with it. */
  acceptsClarification?: boolean;
}

/**
 * A mid-run review's PAUSE_AND_CLARIFY / STOP_AND_ESCALATE that arrived while the session was
 * already waiting (paused, a question, an escalation). It is kept, in order, and asked or
 * escalated when the user lets the session go on, before any work restarts.
 */
export type QueuedDecision = { kind: 'clarify'; question: string } | { kind: 'escalate'; reason: string; suggestions: string[] };

export interface SessionContext extends SessionInput {
  plan?: TaskBreakdown;
  planAttempts: number;
  planFeedback: string[];
  tasks: PlannedTask[];
  taskIndex: number;
  clarification?: string;
  /** Summary of the last LOG_WARNING(s), passed on to the next implementer prompt. */
  warning?: string;
  /** The warning was in the prompt of the task now running: finishing that task drops it. */
  warningGiven?: boolean;
  /** Workers whose next milestone is reviewed even if milestone reviews are off (each once). */
  monitored: string[];
  resumeTo: ResumeTarget;
  reviewCount: number;
  liveReviews: string[];
  lastEventAt: string;
  usage: Record<string, Usage>;
  escalation?: Escalation;
  question?: string;
  failure?: string;
  /** Why the session was last paused (the user, or a budget in words). */
  pausedFor?: string;
  /** Budgets (by name, see budgetName) the session was paused for once: they do not pause it again. */
  budgetsAcknowledged: string[];
  queuedDecisions: QueuedDecision[];
  /** The implementer's final summary of the current task, the artifact of its task review. */
  lastSummary?: string;
}

export const ZERO_USAGE: Usage = { inputTokens: 0, outputTokens: 0, cachedTokens: 0 };

export function addUsage(a: Usage, b: Usage): Usage {
  const cost = a.costUsd === undefined && b.costUsd === undefined ? undefined : (a.costUsd ?? 0) + (b.costUsd ?? 0);
  return { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens, cachedTokens: a.cachedTokens + b.cachedTokens, ...(cost === undefined ? {} : { costUsd: cost }) };
}

const tokens = (u: Usage): number => u.inputTokens + u.outputTokens;

/** The budget a `budgetReached` reason names ("session token budget", "claude cost budget"), without the amounts. */
export const budgetName = (reason: string): string => reason.split(' reached: ')[0] ?? reason;

/**
 * The first budget that the usage has reached, in words; undefined while within budget. A budget the
 * session was already paused for (`budgetsAcknowledged`) does not count again, so it cannot hide a
 * budget reached later; a user pause in between does not un-acknowledge it.
 */
export function budgetReached(ctx: Pick<SessionContext, 'usage' | 'settings' | 'budgetsAcknowledged'>): string | undefined {
  const { budgets } = ctx.settings;
  const all = Object.values(ctx.usage).reduce(addUsage, ZERO_USAGE);
  const reached: string[] = [];
  if (budgets.tokens !== undefined && tokens(all) >= budgets.tokens) reached.push(`session token budget reached: ${tokens(all)} ≥ ${budgets.tokens}`);
  if (budgets.usd !== undefined && (all.costUsd ?? 0) >= budgets.usd) reached.push(`session cost budget reached: $${(all.costUsd ?? 0).toFixed(4)} ≥ $${budgets.usd}`);
  for (const [agent, b] of Object.entries(budgets.perAgent)) {
    const u = ctx.usage[agent] ?? ZERO_USAGE;
    if (b.tokens !== undefined && tokens(u) >= b.tokens) reached.push(`${agent} token budget reached: ${tokens(u)} ≥ ${b.tokens}`);
    if (b.usd !== undefined && (u.costUsd ?? 0) >= b.usd) reached.push(`${agent} cost budget reached: $${(u.costUsd ?? 0).toFixed(4)} ≥ $${b.usd}`);
  }
  return reached.find((r) => !ctx.budgetsAcknowledged.includes(budgetName(r)));
}

function workerInput(ctx: SessionContext, role: Role, request: Omit<LaunchRequest, keyof LaunchTemplate | 'role'>): WorkerInput {
  const agent = ctx.tier.assignments[role];
  // Throwing here would throw out of the session's transition and crash the root actor; the
  // worker throws this at its start instead, which the session's onError escalates.
  const template = ctx.templates[agent] ?? { cwd: '', workspace: '', extraDirs: [] };
  return {
    ...(ctx.templates[agent] ? {} : { inputError: `no launch template for agent ${agent}` }),
    sessionId: ctx.sessionId,
    workerId: role,
    role,
    agent,
    adapter: ctx.adapters[agent] ?? 'jsonl',
    sessionDir: ctx.sessionDir,
    request: { ...template, ...request, role },
    silenceMs: ctx.settings.silenceMs,
    maxRecoveryAttempts: ctx.settings.maxRecoveryAttempts,
    verifyTimeoutMs: ctx.settings.verifyTimeoutMs,
    ...(ctx.settings.limits ? { limits: ctx.settings.limits } : {}),
  };
}

export function architectInput(ctx: SessionContext): WorkerInput {
  const prompt = planPrompt({ task: ctx.task, feedback: ctx.planFeedback, ...(ctx.clarification ? { clarification: ctx.clarification } : {}) });
  return workerInput(ctx, 'architect', { mode: 'read-only', prompt, outputSchema: planSchema() });
}

export function implementerInput(ctx: SessionContext): WorkerInput {
  const current = ctx.tasks[ctx.taskIndex];
  if (!ctx.plan || !current) return { ...workerInput(ctx, 'implementer', { mode: 'work', prompt: '' }), inputError: 'implementing without a plan task' };
  const prompt = implementPrompt({
    task: ctx.task,
    plan: ctx.plan,
    current,
    ...(ctx.clarification ? { clarification: ctx.clarification } : {}),
    ...(ctx.warning ? { warning: ctx.warning } : {}),
  });
  return workerInput(ctx, 'implementer', { mode: 'work', prompt });
}

export function reviewInput(ctx: SessionContext, args: { trigger: ReviewTrigger; workerId: string; text: string; at?: string; final?: boolean; reviewId?: string }): ReviewInput {
  const role: Role = args.workerId === 'architect' || args.workerId === 'reviewer' ? args.workerId : 'implementer';
  const reviewers = args.final ? [ctx.tier.assignments.reviewer] : ctx.tier.reviewers;
  return {
    sessionId: ctx.sessionId,
    reviewId: args.reviewId ?? `review-${ctx.reviewCount + 1}`,
    subjectWorkerId: args.workerId,
    trigger: args.trigger,
    reviewers: reviewers.length > 0 ? reviewers : [ctx.tier.assignments.reviewer],
    subject: { kind: args.final ? 'final-review' : 'review', workerId: args.workerId, role, agent: ctx.tier.assignments[role], text: args.text },
    timeoutMs: ctx.settings.reviewerTimeoutMs,
    policy: ctx.settings.policy,
    requestedAt: args.at ?? ctx.lastEventAt,
  };
}

/** Which trigger an event from a worker is, if any (the seed's: milestone, blocker, explicit request). */
export function triggerOf(event: AgentEventInput, ctx: Pick<SessionContext, 'settings' | 'monitored'>): ReviewTrigger | undefined {
  const t = ctx.settings.triggers;
  if (event.type === 'blocker') return t.blocker ? 'blocker' : undefined;
  if (event.type === 'review' || event.payload.reviewRequested === true) return t.request ? 'request' : undefined;
  if (event.type === 'milestone') return t.milestone || ctx.monitored.includes(event.workerId) ? 'milestone' : undefined;
  return undefined;
}
