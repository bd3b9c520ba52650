import { createActor } from 'xstate';
import { reviewerRun } from '../actors/reviewer-run.js';
import type { LaunchTemplate } from '../machines/session-context.js';
import type { RunBody, RunContext } from './run-context.js';
import { controlEntryOf } from './run-entries.js';
import { reviewedEntry, type ReviewRunInput } from './review-entries.js';

/**
 * A reviewer run on this host, with the very `reviewerRun` actor a local session uses (read-only
 * launch with the verdict schema, the reviewer timeout, one corrected relaunch, the answer
 * parsed into a PeerReview). Its agent events are committed under the run's epoch as they come;
 * the verdict ends the run as a `run.reviewed` entry, which the session stores as its review.
 */
export function startReviewRun(input: ReviewRunInput, ctx: RunContext): RunBody {
  const identity = { sessionId: input.sessionId, workerId: input.workerId, agent: input.agent, attempt: input.attempt };
  let over = false;
  const end = (entry: ReturnType<typeof reviewedEntry>): void => {
    if (over) return;
    over = true;
    if (ctx.write([{ ...identity, ...entry, timestamp: new Date().toISOString() }])) ctx.finished();
  };
  const failed = (message: string): ReturnType<typeof reviewedEntry> =>
    controlEntryOf({ type: 'agent.failed', workerId: input.workerId, attempt: input.attempt, error: { kind: 'io_failed', message } }, ctx.host);
  const logic = reviewerRun({
    sessionDir: input.sessionDir,
    // The template is the session's own launch configuration for this reviewer, passed through.
    templates: { [input.agent]: input.template as unknown as LaunchTemplate },
    adapters: { [input.agent]: input.adapter },
    onEvent: (event) => void ctx.write([event]),
  });
  const actor = createActor(logic, { input: input.review });
  actor.subscribe({
    complete: () => {
      const review = actor.getSnapshot().output;
      end(review ? reviewedEntry(review, ctx.host) : failed('the reviewer run ended without a review'));
    },
    error: (error: unknown) => end(failed(error instanceof Error ? error.message : String(error))),
  });
  actor.start();
  return {
    // The session gave up on this review (its timeout, a stop): the reviewer is stopped, and that is the end.
    stop: () => {
      if (over) return;
      actor.stop();
      end(failed('stopped at the session\'s request'));
    },
    kill: () => {
      over = true;
      actor.stop();
    },
  };
}
