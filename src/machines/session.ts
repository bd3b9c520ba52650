import { and, assign, emit, enqueueActions, not, setup } from 'xstate';
import type { DecisionAction, ReviewTrigger, Usage } from '../protocol/index.js';
import { dropAgent } from '../probe/tiers.js';
import {
  addUsage,
  architectInput,
  budgetName,
  budgetReached,
  implementerInput,
  reviewInput,
  triggerOf,
  ZERO_USAGE,
  type ResumeTarget,
  type SessionContext,
  type SessionInput,
} from './session-context.js';
import { parsePlan, taskOrder } from './plan.js';
import { reviewMachine, type ReviewInput, type ReviewOutput } from './review.js';
import { workerMachine, type WorkerNotice, type WorkerOutput } from './worker.js';

export type SessionEvent =
  | WorkerNotice
  | { type: 'user.pause' }
  | { type: 'user.resume' }
  | { type: 'user.stop' }
  | { type: 'user.review' }
  | { type: 'user.clarify'; text: string }
  | { type: 'user.approve' }
  | { type: 'user.reject'; reason?: string }
  | { type: 'session.needsClarification'; question: string }
  | { type: 'session.needsEscalation'; reason: string; suggestions: string[] }
  | { type: 'session.budgetReached'; reason: string }
  /** Tokens spent outside the session's own workers (reviewer runs). */
  | { type: 'usage.reported'; agent: string; usage: Usage }
  | { type: `xstate.done.actor.${string}`; output: ReviewOutput; actorId: string };

/** What the runtime hears from the session besides snapshots (logged as session events). */
export type SessionEmitted =
  | { type: 'session.plan'; plan: NonNullable<SessionContext['plan']>; attempt: number }
  | { type: 'session.planRejected'; problems: string[]; attempt: number }
  | { type: 'session.tier'; tier: number; reason: string }
  | { type: 'session.review'; output: ReviewOutput }
  | { type: 'session.notice'; text: string };

const AUTH_KINDS = new Set(['auth', 'quota']);
const MAX_PLAN_ATTEMPTS = 2;

type Done = { output: WorkerOutput };
const out = (event: unknown): WorkerOutput => (event as Done).output;
const reviewOut = (event: unknown): ReviewOutput => (event as { output: ReviewOutput }).output;
const decisionOf = (event: unknown): DecisionAction => reviewOut(event).decision.action;
const reasonsOf = (event: unknown): string => reviewOut(event).decision.reasons.join('; ');

type ReviewRequestParams = { trigger: ReviewTrigger; workerId: string; text: string; at?: string };

/** A review to start now, or undefined: one review in flight at a time, except that a blocker is always reviewed. */
function reviewToSpawn(context: SessionContext, params: ReviewRequestParams): { input: ReviewInput; patch: Partial<SessionContext> } | undefined {
  if (params.trigger !== 'blocker' && context.liveReviews.length > 0) return undefined;
  const input = reviewInput(context, { ...params, ...(params.at ? { at: params.at } : {}) });
  return {
    input,
    patch: {
      reviewCount: context.reviewCount + 1,
      liveReviews: [...context.liveReviews, input.reviewId],
      monitored: context.monitored.filter((w) => w !== params.workerId),
    },
  };
}

/** Events every working phase handles the same way. */
const PHASE_EVENTS = {
  'user.pause': { target: '#session.paused', actions: 'pauseFor' },
  'session.budgetReached': { guard: not('hasBudgetAck'), target: '#session.paused', actions: 'pauseFor' },
  'session.needsClarification': { target: '#session.awaitingClarification', actions: 'askQuestion' },
  'session.needsEscalation': { target: '#session.escalated', actions: 'escalateRaised' },
} as const;

/** Back to the phase that was interrupted; the step is run again from its start. */
const RESUME = [
  { guard: { type: 'resumeIs', params: { to: 'planning' } }, target: '#session.planning' },
  { guard: { type: 'resumeIs', params: { to: 'implementing' } }, target: '#session.implementing' },
  { target: '#session.finalReview' },
] as const;

export const sessionMachine = setup({
  types: {
    input: {} as SessionInput,
    context: {} as SessionContext,
    events: {} as SessionEvent,
    emitted: {} as SessionEmitted,
  },
  actors: { worker: workerMachine, review: reviewMachine },
  guards: {
    canDropTier: ({ context, event }) => {
      const o = out(event);
      if (!o.classification || !AUTH_KINDS.has(o.classification.kind)) return false;
      const agent = context.tier.assignments[o.workerId as keyof typeof context.tier.assignments];
      return dropAgent(context.tier, agent, o.classification.kind).ok;
    },
    workerExited: ({ event }) => out(event).status === 'exited',
    workerStopped: ({ event }) => out(event).status === 'stopped',
    planValid: ({ event }) => parsePlan(out(event).structured, out(event).finalText).ok,
    canRetryPlan: ({ context }) => context.planAttempts < MAX_PLAN_ATTEMPTS,
    decisionIs: ({ event }, params: { action: DecisionAction | DecisionAction[] }) =>
      ([] as DecisionAction[]).concat(params.action).includes(decisionOf(event)),
    resumeIs: ({ context }, params: { to: ResumeTarget }) => context.resumeTo === params.to,
    allTasksDone: ({ context }) => context.taskIndex >= context.tasks.length,
    // The same budget, whatever the amounts in the text (they grow with every usage report).
    hasBudgetAck: ({ context, event }) => event.type === 'session.budgetReached' && context.pausedFor !== undefined && budgetName(context.pausedFor) === budgetName(event.reason),
  },
  actions: {
    absorbUsage: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'usage.reported') return;
      const usage = { ...context.usage, [event.agent]: addUsage(context.usage[event.agent] ?? ZERO_USAGE, event.usage) };
      enqueue.assign({ usage });
      const reached = budgetReached({ usage, settings: context.settings, pausedFor: context.pausedFor });
      if (reached) enqueue.raise({ type: 'session.budgetReached', reason: reached });
    }),
    absorbWorkerEvent: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'worker.event') return;
      const e = event.event;
      const usage = e.usage ? { ...context.usage, [e.agent]: addUsage(context.usage[e.agent] ?? ZERO_USAGE, e.usage) } : context.usage;
      enqueue.assign({ lastEventAt: e.timestamp, usage });
      const reached = e.usage ? budgetReached({ usage, settings: context.settings, pausedFor: context.pausedFor }) : undefined;
      if (reached) enqueue.raise({ type: 'session.budgetReached', reason: reached });
      const trigger = triggerOf(e, context);
      const spawn = trigger ? reviewToSpawn(context, { trigger, workerId: e.workerId, text: e.payload.text, at: e.timestamp }) : undefined;
      if (spawn) {
        enqueue.spawnChild('review', { id: spawn.input.reviewId, input: spawn.input });
        enqueue.assign(spawn.patch);
      }
    }),
    startReview: enqueueActions(({ context, enqueue }, params: ReviewRequestParams) => {
      const spawn = reviewToSpawn(context, params);
      if (!spawn) return;
      enqueue.spawnChild('review', { id: spawn.input.reviewId, input: spawn.input });
      enqueue.assign(spawn.patch);
    }),
    applySpawnedReview: enqueueActions(({ context, event, enqueue }) => {
      if (!('output' in event) || !event.type.startsWith('xstate.done.actor.')) return;
      const output = reviewOut(event);
      // A spawned child stays in the snapshot until stopped, even when done.
      if ('actorId' in event) enqueue.stopChild(event.actorId);
      enqueue.assign({ liveReviews: context.liveReviews.filter((id) => id !== output.reviewId) });
      enqueue.emit({ type: 'session.review', output });
      const action = output.decision.action;
      const reasons = output.decision.reasons.join('; ');
      if (action === 'LOG_WARNING') enqueue.assign({ warning: reasons, monitored: [...context.monitored, output.subjectWorkerId] });
      if (action === 'PAUSE_AND_CLARIFY') enqueue.raise({ type: 'session.needsClarification', question: reasons });
      if (action === 'STOP_AND_ESCALATE') enqueue.raise({ type: 'session.needsEscalation', reason: reasons, suggestions: [] });
    }),
    emitPhaseReview: emit(({ event }) => ({ type: 'session.review' as const, output: reviewOut(event) })),
    storePlan: enqueueActions(({ context, event, enqueue }) => {
      const r = parsePlan(out(event).structured, out(event).finalText);
      if (!r.ok) return;
      enqueue.assign({ plan: r.plan, tasks: taskOrder(r.plan), taskIndex: 0, planFeedback: [] });
      enqueue.emit({ type: 'session.plan', plan: r.plan, attempt: context.planAttempts });
    }),
    notePlanProblems: enqueueActions(({ context, event, enqueue }) => {
      const r = parsePlan(out(event).structured, out(event).finalText);
      const problems = r.ok ? [] : r.problems;
      enqueue.assign({ planFeedback: problems });
      enqueue.emit({ type: 'session.planRejected', problems, attempt: context.planAttempts });
    }),
    firstPlanAttempt: assign({ planAttempts: 1 }),
    countPlanAttempt: assign({ planAttempts: ({ context }) => context.planAttempts + 1 }),
    dropTier: enqueueActions(({ context, event, enqueue }) => {
      const o = out(event);
      const agent = context.tier.assignments[o.workerId as keyof typeof context.tier.assignments];
      const next = dropAgent(context.tier, agent, `${o.classification?.kind ?? 'failure'}: ${o.classification?.evidence ?? ''}`);
      if (!next.ok) return;
      enqueue.assign({ tier: next });
      enqueue.emit({ type: 'session.tier', tier: next.tier, reason: next.reason });
    }),
    escalateWorker: assign({
      escalation: ({ event }) => {
        const o = out(event);
        const e = o.escalation;
        return e
          ? { source: 'worker' as const, reason: `${o.workerId}: ${e.kind} — ${e.evidence}`, suggestions: e.suggestions }
          : { source: 'worker' as const, reason: `${o.workerId} failed: ${o.failure ?? `exit code ${String(o.exitCode)}`}`, suggestions: ['Approve to retry the step, or reject to end the session.'] };
      },
    }),
    escalateReview: assign({ escalation: ({ event }) => ({ source: 'review' as const, reason: reasonsOf(event), suggestions: ['Approve to continue despite the blocker, or reject to end the session.'] }) }),
    escalatePlan: assign({ escalation: ({ context }) => ({ source: 'worker' as const, reason: `the architect's plan failed validation twice: ${context.planFeedback.join('; ')}`, suggestions: ['Clarify the task and approve to plan again, or reject.'] }) }),
    escalateRaised: assign({ escalation: ({ event }) => (event.type === 'session.needsEscalation' ? { source: 'review' as const, reason: event.reason, suggestions: event.suggestions } : undefined) }),
    askQuestion: assign({ question: ({ event }) => (event.type === 'session.needsClarification' ? event.question : 'xstate.done.actor' === event.type.slice(0, 17) ? reasonsOf(event) : undefined) }),
    resumeTo: assign({ resumeTo: (_, params: { to: ResumeTarget }) => params.to }),
    acceptClarification: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'user.clarify') return;
      enqueue.assign({ clarification: event.text, question: undefined });
      // A final review that needs clarification becomes one more implementer task.
      if (context.resumeTo === 'finalReview' && context.plan) {
        const id = `followup-${context.tasks.length + 1}`;
        const task = { id, title: 'Address the final review', description: `${context.question ?? ''}\n\nThe user says: ${event.text}`, assignee: 'implementer' as const, dependencies: [], acceptanceCriteria: ['the final reviewer approves'] };
        enqueue.assign({ tasks: [...context.tasks, task], resumeTo: 'implementing' });
      }
    }),
    /** A phase review takes its number on entry, so a review spawned while it runs gets the next one. */
    countReview: assign({ reviewCount: ({ context }) => context.reviewCount + 1 }),
    keepSummary: assign({ lastSummary: ({ event }) => out(event).finalText ?? '' }),
    nextTask: assign({ taskIndex: ({ context }) => context.taskIndex + 1, warning: undefined, clarification: undefined }),
    warnNext: assign({ taskIndex: ({ context }) => context.taskIndex + 1, warning: ({ event }) => reasonsOf(event), monitored: ({ context }) => [...context.monitored, 'implementer'] }),
    pauseFor: assign({ pausedFor: ({ event }) => (event.type === 'session.budgetReached' ? event.reason : 'paused by the user') }),
    failWith: assign({ failure: ({ event }) => (event.type === 'user.reject' ? (event.reason ?? 'rejected by the user') : 'failed') }),
  },
}).createMachine({
  id: 'session',
  context: ({ input }) => ({
    ...input,
    planAttempts: 0,
    planFeedback: [],
    tasks: [],
    taskIndex: 0,
    monitored: [],
    resumeTo: 'planning',
    reviewCount: 0,
    liveReviews: [],
    lastEventAt: input.startedAt,
    usage: {},
  }),
  initial: 'planning',
  on: {
    'worker.event': { actions: 'absorbWorkerEvent' },
    'usage.reported': { actions: 'absorbUsage' },
    'worker.silent': {
      guard: ({ context }) => context.settings.triggers.silence,
      actions: { type: 'startReview', params: ({ event }) => ({ trigger: 'silence' as const, workerId: event.workerId, text: 'no output from the agent within the silence limit' }) },
    },
    'user.review': {
      guard: ({ context }) => context.settings.triggers.manual,
      actions: { type: 'startReview', params: ({ context }) => ({ trigger: 'manual' as const, workerId: context.plan ? 'implementer' : 'architect', text: 'review requested by the user' }) },
    },
    // Spawned (mid-run) reviews; phase reviews and workers are handled by their states' onDone.
    'xstate.done.actor.*': { guard: ({ event }) => 'actorId' in event && event.actorId.startsWith('review-'), actions: 'applySpawnedReview' },
    'user.stop': '.stopped',
  },
  states: {
    planning: {
      // Each (re-)entered planning phase gets its two attempts; a relaunch after a tier drop is not an attempt.
      entry: [{ type: 'resumeTo', params: { to: 'planning' } }, 'firstPlanAttempt'],
      on: PHASE_EVENTS,
      initial: 'working',
      states: {
        working: {
          invoke: {
            id: 'architect',
            src: 'worker',
            input: ({ context }) => architectInput(context),
            onDone: [
              { guard: 'canDropTier', target: 'working', reenter: true, actions: 'dropTier' },
              { guard: 'workerStopped', target: '#session.stopped' },
              { guard: and(['workerExited', 'planValid']), target: 'reviewing', actions: 'storePlan' },
              { guard: and(['workerExited', 'canRetryPlan']), target: 'working', reenter: true, actions: ['notePlanProblems', 'countPlanAttempt'] },
              { guard: 'workerExited', target: '#session.escalated', actions: ['notePlanProblems', 'escalatePlan'] },
              { target: '#session.escalated', actions: 'escalateWorker' },
            ],
          },
        },
        reviewing: {
          entry: 'countReview',
          invoke: {
            id: 'phaseReview',
            src: 'review',
            input: ({ context }) => reviewInput(context, { reviewId: `review-${context.reviewCount}`, trigger: 'milestone', workerId: 'architect', text: `plan: ${context.plan?.summary ?? ''}\n${JSON.stringify(context.plan)}` }),
            onDone: [
              { guard: { type: 'decisionIs', params: { action: ['CONTINUE', 'LOG_WARNING'] } }, target: '#session.implementing', actions: ['emitPhaseReview'] },
              { guard: { type: 'decisionIs', params: { action: 'PAUSE_AND_CLARIFY' } }, target: '#session.awaitingClarification', actions: ['emitPhaseReview', 'askQuestion'] },
              { target: '#session.escalated', actions: ['emitPhaseReview', 'escalateReview'] },
            ],
          },
        },
      },
    },
    implementing: {
      entry: { type: 'resumeTo', params: { to: 'implementing' } },
      on: PHASE_EVENTS,
      initial: 'next',
      states: {
        next: { always: [{ guard: 'allTasksDone', target: '#session.finalReview' }, { target: 'working' }] },
        working: {
          invoke: {
            id: 'implementer',
            src: 'worker',
            input: ({ context }) => implementerInput(context),
            onDone: [
              { guard: 'canDropTier', target: 'working', reenter: true, actions: 'dropTier' },
              { guard: 'workerStopped', target: '#session.stopped' },
              { guard: 'workerExited', target: 'reviewing', actions: 'keepSummary' },
              { target: '#session.escalated', actions: 'escalateWorker' },
            ],
          },
        },
        reviewing: {
          entry: 'countReview',
          invoke: {
            id: 'phaseReview',
            src: 'review',
            input: ({ context }) => reviewInput(context, { reviewId: `review-${context.reviewCount}`, trigger: 'milestone', workerId: 'implementer', text: context.lastSummary ?? '' }),
            onDone: [
              { guard: { type: 'decisionIs', params: { action: 'CONTINUE' } }, target: 'next', actions: ['emitPhaseReview', 'nextTask'] },
              { guard: { type: 'decisionIs', params: { action: 'LOG_WARNING' } }, target: 'next', actions: ['emitPhaseReview', 'warnNext'] },
              { guard: { type: 'decisionIs', params: { action: 'PAUSE_AND_CLARIFY' } }, target: '#session.awaitingClarification', actions: ['emitPhaseReview', 'askQuestion'] },
              { target: '#session.escalated', actions: ['emitPhaseReview', 'escalateReview'] },
            ],
          },
        },
      },
    },
    finalReview: {
      entry: [{ type: 'resumeTo', params: { to: 'finalReview' } }, 'countReview'],
      on: PHASE_EVENTS,
      invoke: {
        id: 'phaseReview',
        src: 'review',
        input: ({ context }) => reviewInput(context, { reviewId: `review-${context.reviewCount}`, trigger: 'final', workerId: 'implementer', text: `final review of the whole change for: ${context.task}`, final: true }),
        onDone: [
          { guard: { type: 'decisionIs', params: { action: ['CONTINUE', 'LOG_WARNING'] } }, target: 'completed', actions: ['emitPhaseReview'] },
          { guard: { type: 'decisionIs', params: { action: 'PAUSE_AND_CLARIFY' } }, target: 'awaitingClarification', actions: ['emitPhaseReview', 'askQuestion'] },
          { target: 'escalated', actions: ['emitPhaseReview', 'escalateReview'] },
        ],
      },
    },
    paused: {
      on: { 'user.resume': RESUME },
    },
    awaitingClarification: {
      on: { 'user.clarify': { actions: 'acceptClarification', target: 'resuming' } },
    },
    escalated: {
      on: {
        'user.approve': { target: 'resuming', actions: assign({ escalation: undefined }) },
        'user.reject': { target: 'failed', actions: 'failWith' },
      },
    },
    resuming: { always: RESUME },
    completed: { type: 'final' },
    failed: { type: 'final' },
    stopped: { type: 'final' },
  },
});
