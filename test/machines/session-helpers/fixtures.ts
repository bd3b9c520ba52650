/**
 * Data for session machine tests: inputs, plans, and the outputs the fake worker and review
 * actors answer with (WorkerOutput / ReviewOutput exactly as the real machines produce them).
 */
import type { Classification } from '../../../src/agents/types.js';
import type { ReviewInput, ReviewOutput } from '../../../src/machines/review.js';
import type { LaunchTemplate, SessionInput, SessionSettings } from '../../../src/machines/session-context.js';
import type { WorkerInput, WorkerOutput } from '../../../src/machines/worker.js';
import type { AgentEventInput, AgentEventType, DecisionAction, PlannedTask, RecoveryKind, TaskBreakdown, Usage } from '../../../src/protocol/index.js';
import { chooseTier, type RoleAgents, type TierChoice } from '../../../src/probe/tiers.js';

export const ROLES: RoleAgents = { architect: 'gemini', implementer: 'claude', reviewer: 'codex' };
export const T0 = '2025-01-01T00:00:00.000Z';

export function tier1(roles: RoleAgents = ROLES): TierChoice {
  const t = chooseTier(roles, Object.values(roles).map((agent) => ({ agent, available: true })));
  if (!t.ok) throw new Error(t.reason);
  return t;
}

const template = (agent: string): LaunchTemplate => ({ cwd: '/repo', workspace: `/ws/${agent}`, extraDirs: [] });

export const SETTINGS: SessionSettings = {
  silenceMs: 60_000,
  reviewerTimeoutMs: 60_000,
  verifyTimeoutMs: 60_000,
  maxRecoveryAttempts: 2,
  policy: 'four-rule',
  triggers: { milestone: true, blocker: true, request: true, manual: true, silence: true },
  budgets: { perAgent: {} },
};

export type InputOverrides = Omit<Partial<SessionInput>, 'settings'> & { settings?: Partial<SessionSettings> };

export function sessionInput(overrides: InputOverrides = {}): SessionInput {
  const { settings, ...rest } = overrides;
  return {
    sessionId: 's1',
    task: 'add a greeting module',
    sessionDir: '/ws/s1',
    tier: tier1(),
    adapters: { gemini: 'gemini', claude: 'claude', codex: 'codex' },
    templates: { gemini: template('gemini'), claude: template('claude'), codex: template('codex') },
    startedAt: T0,
    ...rest,
    settings: { ...SETTINGS, ...settings, triggers: { ...SETTINGS.triggers, ...settings?.triggers } },
  };
}

export function task(id: string, dependencies: string[] = []): PlannedTask {
  return { id, title: `title of ${id}`, description: `do ${id}`, assignee: 'implementer', dependencies, acceptanceCriteria: [`${id} works`] };
}

/** Tasks deliberately listed out of dependency order: `b` must run before `a`. */
export const TWO_TASKS: TaskBreakdown = { summary: 'two steps', tasks: [task('a', ['b']), task('b')] };
export const ONE_TASK: TaskBreakdown = { summary: 'one step', tasks: [task('only')] };

const ZERO: Usage = { inputTokens: 0, outputTokens: 0, cachedTokens: 0 };

export function exited(workerId: string, extra: Partial<WorkerOutput> = {}): WorkerOutput {
  return { workerId, status: 'exited', exitCode: 0, usage: ZERO, ...extra };
}

export const planAnswer = (plan: TaskBreakdown = TWO_TASKS): WorkerOutput => exited('architect', { structured: plan, finalText: JSON.stringify(plan) });
/** Fails validation: `x` depends on a task that does not exist. */
export const INVALID_PLAN = { summary: 'broken', tasks: [task('x', ['missing'])] };
export const invalidPlanAnswer = (): WorkerOutput => exited('architect', { structured: INVALID_PLAN, finalText: 'no json here' });
export const implemented = (summary = 'implemented it'): WorkerOutput => exited('implementer', { finalText: summary });
export const stoppedWorker = (workerId: string): WorkerOutput => ({ workerId, status: 'stopped', exitCode: null, usage: ZERO });

/** A worker that failed with a recognised failure (auth/quota are what make the session drop a tier). */
export function failedWith(workerId: string, kind: RecoveryKind = 'auth', evidence = 'Invalid API key'): WorkerOutput {
  const classification: Classification = { kind, evidence, remedy: { action: 'escalate', suggestions: ['log in again'] } };
  return {
    workerId,
    status: 'failed',
    exitCode: 1,
    usage: ZERO,
    classification,
    escalation: { outcome: 'escalated', kind, evidence, suggestions: ['log in again'], attempts: 0 },
  };
}

/** A worker that crashed without any classification. */
export const crashed = (workerId: string): WorkerOutput => ({ workerId, status: 'failed', exitCode: 2, usage: ZERO });

export function decided(input: Pick<ReviewInput, 'reviewId' | 'subjectWorkerId' | 'trigger' | 'reviewers'>, action: DecisionAction, reason = `reason for ${action}`): ReviewOutput {
  return {
    reviewId: input.reviewId,
    subjectWorkerId: input.subjectWorkerId,
    trigger: input.trigger,
    reviews: [],
    decision: {
      decisionId: `${input.reviewId}-decision`,
      reviewId: input.reviewId,
      action,
      policy: 'four-rule',
      inputs: input.reviewers.map((reviewer) => ({ reviewer, verdict: action === 'CONTINUE' ? 'approved' : 'concern', outcome: 'answered' })),
      reasons: [reason],
      timestamp: T0,
    },
  };
}

export function agentEvent(workerId: string, type: AgentEventType, text: string, extra: Partial<AgentEventInput> = {}): AgentEventInput {
  return {
    type,
    agent: workerId === 'architect' ? ROLES.architect : ROLES.implementer,
    timestamp: '2025-01-01T00:01:00.000Z',
    payload: { text },
    sessionId: 's1',
    workerId,
    attempt: 1,
    ...extra,
  };
}

export const usage = (tokens: number, costUsd?: number): Usage => ({ inputTokens: tokens, outputTokens: 0, cachedTokens: 0, ...(costUsd === undefined ? {} : { costUsd }) });

/** The `task=<id>` field of a prompt's header line (`-` for prompts that are not about one task). */
export function promptTask(input: WorkerInput): string | undefined {
  return /^\[orchestrate [^\]]*\btask=(\S+?)\]/.exec(input.request.prompt)?.[1];
}
