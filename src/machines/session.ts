import { and, not, stateIn } from 'xstate';
import type { DecisionAction } from '../protocol/index.js';
import { sessionSetup } from './session-actions.js';
import { architectInput, implementerInput, reviewInput } from './session-context.js';

export type { SessionEmitted, SessionEvent } from './session-actions.js';

/** Events every working phase handles the same way. */
const PHASE_EVENTS = {
  'user.pause': { target: '#session.paused', actions: 'pauseFor' },
  'session.budgetReached': { guard: not('hasBudgetAck'), target: '#session.paused', actions: 'pauseFor' },
  'session.needsClarification': { target: '#session.awaitingClarification', actions: 'askQuestion' },
  'session.needsEscalation': { target: '#session.escalated', actions: 'escalateRaised' },
} as const;

/** While the session waits for the user, a mid-run review's question or stop is queued (see queueDecision). */
const WAITING_EVENTS = {
  'session.needsClarification': { actions: 'queueDecision' },
  'session.needsEscalation': { actions: 'queueDecision' },
} as const;

/** An invoked worker or phase review that throws escalates with the error (approve retries). */
const ON_ERROR = { target: '#session.escalated', actions: 'escalateError' } as const;

/**
 * Going on after a wait: first what was queued meanwhile, then back to the phase that was
 * interrupted (the step is run again from its start), or past it when a blocker was approved.
 */
const GO_ON = [
  { guard: { type: 'nextQueuedIs', params: { kind: 'clarify' } }, target: '#session.awaitingClarification', actions: 'takeQueued' },
  { guard: { type: 'nextQueuedIs', params: { kind: 'escalate' } }, target: '#session.escalated', actions: 'takeQueued' },
  { guard: { type: 'resumeIs', params: { to: 'planning' } }, target: '#session.planning' },
  { guard: { type: 'resumeIs', params: { to: 'implementing' } }, target: '#session.implementing' },
  { guard: { type: 'resumeIs', params: { to: 'completed' } }, target: '#session.completed' },
  { target: '#session.finalReview' },
] as const;

/** Plan and final reviews: CONTINUE and LOG_WARNING both go on to `next`, the rest waits for the user. */
function phaseReviewOutcomes(next: '#session.implementing' | '#session.completed') {
  const goOn: DecisionAction[] = ['CONTINUE', 'LOG_WARNING'];
  return [
    { guard: { type: 'decisionIs' as const, params: { action: goOn } }, target: next, actions: ['emitPhaseReview' as const] },
    { guard: { type: 'decisionIs' as const, params: { action: 'PAUSE_AND_CLARIFY' as const } }, target: '#session.awaitingClarification', actions: ['emitPhaseReview' as const, 'askQuestion' as const] },
    { target: '#session.escalated', actions: ['emitPhaseReview' as const, 'escalateReview' as const] },
  ];
}

export const sessionMachine = sessionSetup.createMachine({
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
    budgetsAcknowledged: [],
    queuedDecisions: [],
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
    // Spawned (mid-run) reviews; phase reviews and workers are handled by their states' onDone/onError.
    'xstate.done.actor.*': { guard: 'isSpawnedReview', actions: 'applySpawnedReview' },
    'xstate.error.actor.*': { guard: 'isSpawnedReview', actions: 'dropFailedReview' },
    // After a restore: the live worker (if any) re-arms its silence timer for the time that remained.
    'session.rearm': [
      { guard: stateIn('#session.planning.working'), actions: { type: 'rearmWorker', params: { id: 'architect' } } },
      { guard: stateIn('#session.implementing.working'), actions: { type: 'rearmWorker', params: { id: 'implementer' } } },
    ],
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
              { guard: 'workerStoppedByUser', target: '#session.stopped' },
              { guard: and(['workerExited', 'planValid']), target: 'reviewing', actions: 'storePlan' },
              { guard: and(['workerExited', 'canRetryPlan']), target: 'working', reenter: true, actions: ['notePlanProblems', 'countPlanAttempt'] },
              { guard: 'workerExited', target: '#session.escalated', actions: ['notePlanProblems', 'escalatePlan'] },
              { target: '#session.escalated', actions: 'escalateWorker' },
            ],
            onError: ON_ERROR,
          },
        },
        reviewing: {
          entry: 'countReview',
          invoke: {
            id: 'phaseReview',
            src: 'review',
            input: ({ context }) => reviewInput(context, { reviewId: `review-${context.reviewCount}`, trigger: 'milestone', workerId: 'architect', text: `plan: ${context.plan?.summary ?? ''}\n${JSON.stringify(context.plan)}` }),
            onDone: phaseReviewOutcomes('#session.implementing'),
            onError: ON_ERROR,
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
          entry: 'markWarningGiven',
          invoke: {
            id: 'implementer',
            src: 'worker',
            input: ({ context }) => implementerInput(context),
            onDone: [
              { guard: 'canDropTier', target: 'working', reenter: true, actions: 'dropTier' },
              { guard: 'workerStoppedByUser', target: '#session.stopped' },
              { guard: 'workerExited', target: 'reviewing', actions: 'keepSummary' },
              { target: '#session.escalated', actions: 'escalateWorker' },
            ],
            onError: ON_ERROR,
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
            onError: ON_ERROR,
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
        onDone: phaseReviewOutcomes('#session.completed'),
        onError: ON_ERROR,
      },
    },
    paused: {
      on: { ...WAITING_EVENTS, 'user.resume': GO_ON },
    },
    awaitingClarification: {
      on: { ...WAITING_EVENTS, 'user.clarify': { actions: 'acceptClarification', target: 'resuming' } },
    },
    escalated: {
      on: {
        ...WAITING_EVENTS,
        // `escalation.onApprove` says whether the step runs again or the session goes past it.
        'user.approve': { target: 'resuming', actions: 'approveEscalation' },
        'user.clarify': { guard: 'acceptsClarification', target: 'resuming', actions: 'clarifyPlan' },
        'user.reject': { target: 'failed', actions: 'failWith' },
      },
    },
    resuming: { always: GO_ON },
    completed: { type: 'final' },
    failed: { type: 'final' },
    stopped: { type: 'final' },
  },
});
