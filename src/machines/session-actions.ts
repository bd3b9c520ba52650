/**
 * The session machine's types, guards and action implementations (`sessionSetup`); the
 * statechart itself is in session.ts.
 */
import { assign, emit, enqueueActions, setup } from 'xstate';
import type { DecisionAction, ReviewTrigger, Usage } from '../protocol/index.js';
import { dropAgent } from '../probe/tiers.js';
import {
  addUsage,
  budgetName,
  budgetReached,
  reviewInput,
  triggerOf,
  ZERO_USAGE,
  type Escalation,
  type QueuedDecision,
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
  /** After a restore from a snapshot: the live worker re-arms its silence timer (delayed events are not restored). */
  | { type: 'session.rearm'; now: string }
  /** Tokens spent outside the session's own workers (reviewer runs). */
  | { type: 'usage.reported'; agent: string; usage: Usage }
  | { type: `xstate.done.actor.${string}`; output: ReviewOutput; actorId: string }
  | { type: `xstate.error.actor.${string}`; error: unknown; actorId: string };

/** What the runtime hears from the session besides snapshots (logged as session events). */
export type SessionEmitted =
  | { type: 'session.plan'; plan: NonNullable<SessionContext['plan']>; attempt: number }
  | { type: 'session.planRejected'; problems: string[]; attempt: number }
  | { type: 'session.tier'; tier: number; reason: string }
  | { type: 'session.review'; output: ReviewOutput }
  | { type: 'session.notice'; text: string };

const AUTH_KINDS = new Set(['auth', 'quota']);
const MAX_PLAN_ATTEMPTS = 2;
const RETRY = 'Approve to retry the step, or reject to end the session.';

type Done = { output: WorkerOutput };
const out = (event: unknown): WorkerOutput => (event as Done).output;
const reviewOut = (event: unknown): ReviewOutput => (event as { output: ReviewOutput }).output;
const decisionOf = (event: unknown): DecisionAction => reviewOut(event).decision.action;
const reasonsOf = (event: unknown): string => reviewOut(event).decision.reasons.join('; ');
const errorText = (event: unknown): string => {
  const e = (event as { error?: unknown }).error;
  return e instanceof Error ? e.message : String(e);
};
const actorIdOf = (event: unknown): string => (event as { actorId?: string }).actorId ?? 'an actor';

type ReviewRequestParams = { trigger: ReviewTrigger; workerId: string; text: string; at?: string };

const withMonitored = (monitored: string[], workerId: string): string[] => (monitored.includes(workerId) ? monitored : [...monitored, workerId]);

/** A new warning for the next implementer prompt, added to one that no prompt carried yet. */
const withWarning = (context: SessionContext, text: string): Pick<SessionContext, 'warning' | 'warningGiven'> => ({
  warning: context.warning !== undefined && !context.warningGiven ? `${context.warning}\n${text}` : text,
  warningGiven: false,
});

/** On to the next task: the clarification was for this task, and so was a warning its prompt carried. */
const nextTaskPatch = (context: SessionContext): Partial<SessionContext> => ({
  taskIndex: context.taskIndex + 1,
  clarification: undefined,
  ...(context.warningGiven ? { warning: undefined, warningGiven: false } : {}),
});

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

function workerEscalation(o: WorkerOutput): Escalation {
  const e = o.escalation;
  if (e) return { source: 'worker', reason: `${o.workerId}: ${e.kind} — ${e.evidence}`, suggestions: e.suggestions, onApprove: 'retry' };
  // A worker stopped by someone other than the user: a resource limit (the failure says which).
  if (o.status === 'stopped') return { source: 'worker', reason: `${o.workerId} stopped: ${o.failure ?? 'stopped'}`, suggestions: [RETRY], onApprove: 'retry' };
  return { source: 'worker', reason: `${o.workerId} failed: ${o.failure ?? `exit code ${String(o.exitCode)}`}`, suggestions: [RETRY], onApprove: 'retry' };
}

/** Past a phase review's blocker: the plan review → implementing, a task review → the next task, the final review → completed. */
function advancePatch(context: SessionContext): Partial<SessionContext> {
  if (context.resumeTo === 'planning') return { resumeTo: 'implementing' };
  if (context.resumeTo === 'implementing') return nextTaskPatch(context);
  return { resumeTo: 'completed' };
}

export const sessionSetup = setup({
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
    /** Stopped without a failure: the user (a resource limit sets the failure and escalates). */
    workerStoppedByUser: ({ event }) => out(event).status === 'stopped' && out(event).failure === undefined,
    planValid: ({ event }) => parsePlan(out(event).structured, out(event).finalText).ok,
    canRetryPlan: ({ context }) => context.planAttempts < MAX_PLAN_ATTEMPTS,
    decisionIs: ({ event }, params: { action: DecisionAction | DecisionAction[] }) => ([] as DecisionAction[]).concat(params.action).includes(decisionOf(event)),
    resumeIs: ({ context }, params: { to: ResumeTarget }) => context.resumeTo === params.to,
    allTasksDone: ({ context }) => context.taskIndex >= context.tasks.length,
    // The same budget, whatever the amounts in the text (they grow with every usage report).
    hasBudgetAck: ({ context, event }) => event.type === 'session.budgetReached' && context.budgetsAcknowledged.includes(budgetName(event.reason)),
    acceptsClarification: ({ context }) => context.escalation?.acceptsClarification === true,
    nextQueuedIs: ({ context }, params: { kind: QueuedDecision['kind'] }) => context.queuedDecisions[0]?.kind === params.kind,
    isSpawnedReview: ({ event }) => 'actorId' in event && event.actorId.startsWith('review-'),
  },
  actions: {
    absorbUsage: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'usage.reported') return;
      const usage = { ...context.usage, [event.agent]: addUsage(context.usage[event.agent] ?? ZERO_USAGE, event.usage) };
      enqueue.assign({ usage });
      const reached = budgetReached({ usage, settings: context.settings, budgetsAcknowledged: context.budgetsAcknowledged });
      if (reached) enqueue.raise({ type: 'session.budgetReached', reason: reached });
    }),
    absorbWorkerEvent: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'worker.event') return;
      const e = event.event;
      const usage = e.usage ? { ...context.usage, [e.agent]: addUsage(context.usage[e.agent] ?? ZERO_USAGE, e.usage) } : context.usage;
      enqueue.assign({ lastEventAt: e.timestamp, usage });
      const reached = e.usage ? budgetReached({ usage, settings: context.settings, budgetsAcknowledged: context.budgetsAcknowledged }) : undefined;
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
      if (action === 'LOG_WARNING') enqueue.assign({ ...withWarning(context, reasons), monitored: withMonitored(context.monitored, output.subjectWorkerId) });
      // Handled by the working phases; queued while the session waits (see queueDecision).
      if (action === 'PAUSE_AND_CLARIFY') enqueue.raise({ type: 'session.needsClarification', question: reasons });
      if (action === 'STOP_AND_ESCALATE') enqueue.raise({ type: 'session.needsEscalation', reason: reasons, suggestions: ['Approve to run the interrupted step again, or reject to end the session.'] });
    }),
    /** A spawned review that threw decided nothing: it is dropped with a notice and the work goes on. */
    dropFailedReview: enqueueActions(({ context, event, enqueue }) => {
      const id = actorIdOf(event);
      enqueue.stopChild(id);
      enqueue.assign({ liveReviews: context.liveReviews.filter((r) => r !== id) });
      enqueue.emit({ type: 'session.notice', text: `${id} failed without a decision: ${errorText(event)}` });
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
    escalateWorker: assign({ escalation: ({ event }) => workerEscalation(out(event)) }),
    /** An invoked actor (worker, phase review) threw: e.g. a launch that could not be built. */
    escalateError: assign({
      escalation: ({ event }): Escalation => ({ source: actorIdOf(event) === 'phaseReview' ? 'review' : 'worker', reason: `${actorIdOf(event)} failed: ${errorText(event)}`, suggestions: [RETRY], onApprove: 'retry' }),
    }),
    escalateReview: assign({
      escalation: ({ event }): Escalation => ({ source: 'review', reason: reasonsOf(event), suggestions: ['Approve to continue despite the blocker, or reject to end the session.'], onApprove: 'advance' }),
    }),
    escalatePlan: assign({
      escalation: ({ context }): Escalation => ({
        source: 'worker',
        reason: `the architect's plan failed validation twice: ${context.planFeedback.join('; ')}`,
        suggestions: ['Clarify the task to plan again with the clarification, approve to plan again as it is, or reject to end the session.'],
        onApprove: 'retry',
        acceptsClarification: true,
      }),
    }),
    /** A mid-run review's stop: approving resumes the interrupted phase. */
    escalateRaised: assign({
      escalation: ({ event }) => (event.type === 'session.needsEscalation' ? { source: 'review' as const, reason: event.reason, suggestions: event.suggestions, onApprove: 'retry' as const } : undefined),
    }),
    askQuestion: assign({ question: ({ event }) => (event.type === 'session.needsClarification' ? event.question : event.type.startsWith('xstate.done.actor') ? reasonsOf(event) : undefined) }),
    /**
     * A mid-run review's question or stop that arrives while the session already waits (paused,
     * a question, an escalation) is queued rather than lost, and asked / escalated in order when
     * the user lets the session go on — before any work restarts (see GO_ON in session.ts).
     */
    queueDecision: assign({
      queuedDecisions: ({ context, event }) => [
        ...context.queuedDecisions,
        ...(event.type === 'session.needsClarification' ? [{ kind: 'clarify' as const, question: event.question }] : []),
        ...(event.type === 'session.needsEscalation' ? [{ kind: 'escalate' as const, reason: event.reason, suggestions: event.suggestions }] : []),
      ],
    }),
    takeQueued: enqueueActions(({ context, enqueue }) => {
      const [next, ...rest] = context.queuedDecisions;
      enqueue.assign({ queuedDecisions: rest });
      if (next?.kind === 'clarify') enqueue.assign({ question: next.question });
      if (next?.kind === 'escalate') enqueue.assign({ escalation: { source: 'review', reason: next.reason, suggestions: next.suggestions, onApprove: 'retry' } });
    }),
    resumeTo: assign({ resumeTo: (_, params: { to: ResumeTarget }) => params.to }),
    acceptClarification: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'user.clarify') return;
      enqueue.assign({ clarification: event.text, question: undefined });
      // A clarification after the last task (final review) becomes one more implementer task.
      if ((context.resumeTo === 'finalReview' || context.resumeTo === 'completed') && context.plan) {
        const id = `followup-${context.tasks.length + 1}`;
        const task = { id, title: 'Address the final review', description: `${context.question ?? ''}\n\nThe user says: ${event.text}`, assignee: 'implementer' as const, dependencies: [], acceptanceCriteria: ['the final reviewer approves'] };
        enqueue.assign({ tasks: [...context.tasks, task], resumeTo: 'implementing' });
      }
    }),
    clarifyPlan: assign({ clarification: ({ event }) => (event.type === 'user.clarify' ? event.text : undefined), escalation: undefined }),
    approveEscalation: assign(({ context }) => ({ ...(context.escalation?.onApprove === 'advance' ? advancePatch(context) : {}), escalation: undefined })),
    /** A phase review takes its number on entry, so a review spawned while it runs gets the next one. */
    countReview: assign({ reviewCount: ({ context }) => context.reviewCount + 1 }),
    keepSummary: assign({ lastSummary: ({ event }) => out(event).finalText ?? '' }),
    nextTask: assign(({ context }) => nextTaskPatch(context)),
    warnNext: assign(({ context, event }) => ({ ...nextTaskPatch(context), ...withWarning(context, reasonsOf(event)), monitored: withMonitored(context.monitored, 'implementer') })),
    /** The implementer's prompt carries the warning (if any): finishing this task drops it. */
    markWarningGiven: assign({ warningGiven: ({ context }) => context.warning !== undefined }),
    pauseFor: assign(({ context, event }) =>
      event.type === 'session.budgetReached'
        ? { pausedFor: event.reason, budgetsAcknowledged: [...context.budgetsAcknowledged, budgetName(event.reason)] }
        : { pausedFor: 'paused by the user' },
    ),
    failWith: assign({ failure: ({ event }) => (event.type === 'user.reject' ? (event.reason ?? 'rejected by the user') : 'failed') }),
    /** Forwards `session.rearm` to the live worker as `worker.rearm`. */
    rearmWorker: enqueueActions(({ event, enqueue }, params: { id: 'architect' | 'implementer' }) => {
      if (event.type === 'session.rearm') enqueue.sendTo(params.id, { type: 'worker.rearm', now: event.now });
    }),
  },
});
