import { assign, enqueueActions, setup, stopChild } from 'xstate';
import type { OrchestratorDecision, PeerReview, ReviewTrigger, Role } from '../protocol/index.js';
import { policyFromConfig, type PolicyConfig } from './decision-policy.js';
import type { ReviewerRunInput, ReviewerRunOutput } from './events.js';
import { promiseNotProvided } from './not-provided.js';

export interface ReviewInput {
  sessionId: string;
  reviewId: string;
  subjectWorkerId: string;
  trigger: ReviewTrigger;
  reviewers: string[];
  /** What is under review; the runtime's prepareReview turns it into the prompt (adding the diff). */
  subject: ReviewSubject;
  /** Backstop per reviewer; the reviewer run enforces its own timeout first. */
  timeoutMs: number;
  policy: PolicyConfig;
  /** Time of the event that triggered the review; stamped on reviews that never answered. */
  requestedAt: string;
}

export interface ReviewSubject {
  kind: 'review' | 'final-review';
  workerId: string;
  role: Role;
  agent: string;
  /** The milestone / blocker / request text, or the worker's final summary. */
  text: string;
}

export interface PrepareReviewInput {
  sessionId: string;
  reviewId: string;
  trigger: ReviewTrigger;
  subject: ReviewSubject;
}

export interface ReviewOutput {
  reviewId: string;
  subjectWorkerId: string;
  trigger: ReviewTrigger;
  reviews: PeerReview[];
  decision: OrchestratorDecision;
}

interface ReviewContext extends ReviewInput {
  prompt: string;
  reviews: PeerReview[];
  decision?: OrchestratorDecision;
}

type ReviewEvent = { type: 'review.timeout' } | { type: `xstate.done.actor.${string}`; output: ReviewerRunOutput; actorId: string } | { type: `xstate.error.actor.${string}`; error: unknown; actorId: string };

const childId = (reviewer: string): string => `reviewer-${reviewer}`;
const reviewerOf = (actorId: string): string => actorId.replace(/^reviewer-/, '');

function unanswered(context: ReviewContext, reviewer: string, outcome: 'failed' | 'timeout', why: string): PeerReview {
  return {
    reviewId: context.reviewId,
    reviewer,
    subjectWorkerId: context.subjectWorkerId,
    trigger: context.trigger,
    outcome,
    verdict: 'concern',
    summary: why,
    findings: [],
    timestamp: context.requestedAt,
  };
}

/** requesting → collecting → deciding → decided; every reviewer ends up with a recorded review. */
export const reviewMachine = setup({
  types: {
    input: {} as ReviewInput,
    context: {} as ReviewContext,
    events: {} as ReviewEvent,
    output: {} as ReviewOutput,
  },
  actors: {
    reviewerRun: promiseNotProvided<ReviewerRunOutput, ReviewerRunInput & { timeoutMs: number }>('reviewerRun'),
    prepareReview: promiseNotProvided<{ prompt: string }, PrepareReviewInput>('prepareReview'),
  },
  delays: {
    backstop: ({ context }) => context.timeoutMs + 5_000,
  },
  guards: {
    allCollected: ({ context }) => context.reviewers.every((r) => context.reviews.some((v) => v.reviewer === r)),
  },
  actions: {
    startReviewers: enqueueActions(({ context, enqueue }) => {
      for (const reviewer of context.reviewers) {
        enqueue.spawnChild('reviewerRun', {
          id: childId(reviewer),
          input: {
            sessionId: context.sessionId,
            reviewId: context.reviewId,
            reviewer,
            subjectWorkerId: context.subjectWorkerId,
            trigger: context.trigger,
            prompt: context.prompt,
            selfReview: reviewer === context.subject.agent,
            timeoutMs: context.timeoutMs,
          },
        });
      }
    }),
    recordAnswer: assign({
      reviews: ({ context, event }) => {
        if (!('output' in event)) return context.reviews;
        const reviewer = reviewerOf(event.actorId);
        if (context.reviews.some((r) => r.reviewer === reviewer)) return context.reviews;
        // A verdict attributed to someone else, or a non-answer marked approved, is not trusted.
        const review = event.output;
        const trusted = review.reviewer === reviewer && (review.outcome === 'answered' || review.verdict === 'concern');
        return [...context.reviews, trusted ? review : unanswered(context, reviewer, 'failed', 'the reviewer run returned an inconsistent review')];
      },
    }),
    recordCrash: assign({
      reviews: ({ context, event }) => {
        if (!('error' in event)) return context.reviews;
        const reviewer = reviewerOf(event.actorId);
        const message = event.error instanceof Error ? event.error.message : String(event.error);
        return [...context.reviews, unanswered(context, reviewer, 'failed', `the reviewer run failed: ${message}`)];
      },
    }),
    recordPreparationFailure: assign({
      reviews: ({ context, event }) => {
        const message = 'error' in event && event.error instanceof Error ? event.error.message : 'unknown error';
        return context.reviewers.map((r) => unanswered(context, r, 'failed', `the review request could not be prepared: ${message}`));
      },
    }),
    recordTimeouts: enqueueActions(({ context, enqueue }) => {
      const missing = context.reviewers.filter((r) => !context.reviews.some((v) => v.reviewer === r));
      for (const reviewer of missing) enqueue(stopChild(childId(reviewer)));
      enqueue.assign({
        reviews: [...context.reviews, ...missing.map((r) => unanswered(context, r, 'timeout', `no verdict within ${Math.round(context.timeoutMs / 1000)} s`))],
      });
    }),
    decide: assign({
      decision: ({ context }) => {
        const policy = policyFromConfig(context.policy);
        const result = policy.decide(context.reviews);
        const latest = context.reviews.map((r) => r.timestamp).sort().at(-1) ?? context.requestedAt;
        return {
          decisionId: `${context.reviewId}-decision`,
          reviewId: context.reviewId,
          action: result.action,
          policy: policy.name,
          inputs: context.reviews.map((r) => ({ reviewer: r.reviewer, verdict: r.verdict, outcome: r.outcome })),
          reasons: result.reasons,
          timestamp: latest,
        };
      },
    }),
  },
}).createMachine({
  id: 'review',
  context: ({ input }) => ({ ...input, prompt: '', reviews: [] }),
  initial: 'requesting',
  states: {
    requesting: {
      invoke: {
        src: 'prepareReview',
        input: ({ context }) => ({ sessionId: context.sessionId, reviewId: context.reviewId, trigger: context.trigger, subject: context.subject }),
        onDone: { target: 'collecting', actions: [assign({ prompt: ({ event }) => event.output.prompt }), 'startReviewers'] },
        // Without a request nobody can review: every reviewer is recorded as failed (a concern).
        onError: { target: 'deciding', actions: 'recordPreparationFailure' },
      },
    },
    collecting: {
      always: { guard: 'allCollected', target: 'deciding' },
      on: {
        'xstate.done.actor.*': { actions: 'recordAnswer' },
        'xstate.error.actor.*': { actions: 'recordCrash' },
      },
      after: { backstop: { actions: 'recordTimeouts' } },
    },
    deciding: { entry: 'decide', always: 'decided' },
    decided: { type: 'final' },
  },
  output: ({ context }) => ({
    reviewId: context.reviewId,
    subjectWorkerId: context.subjectWorkerId,
    trigger: context.trigger,
    reviews: context.reviews,
    // Set on entry to `deciding`, which always precedes `decided`.
    decision: context.decision!,
  }),
});
