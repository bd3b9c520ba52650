import { fromPromise } from 'xstate';
import { peerReview, type ReviewerRunActorInput } from '../actors/reviewer-run.js';
import type { LaunchTemplate } from '../machines/session-context.js';
import type { LogEntry } from '../persistence/types.js';
import type { AgentEventInput, PeerReview } from '../protocol/index.js';
import { newRunId, processEventOf } from './run-entries.js';
import { RunFollower, type FollowDeps } from './run-follower.js';
import { reviewOfEntry, type ReviewRunInput } from './review-entries.js';

export interface RemoteReviewDeps extends FollowDeps {
  sessionDir: string;
  templates: Record<string, LaunchTemplate>;
  adapters: Record<string, ReviewRunInput['adapter']>;
  /** Each committed entry of the run, as read from the shared log (the session's bus). */
  publish: (entry: LogEntry) => void;
  /** Each of the reviewer's agent events, already committed by the worker (narration, usage). */
  onEvent: (event: AgentEventInput) => void;
  /** A review already recorded for this reviewer (after a restart): returned instead of asking again. */
  recorded?: (reviewId: string, reviewer: string) => PeerReview | undefined;
  /** Each review as soon as it is known (the session's fenced write). */
  onReview?: (review: PeerReview) => void;
  /** True while the actors restored from a snapshot start. */
  restoring?: () => boolean;
  now?: () => Date;
}

/**
 * The reviewer-run actor for `--remote` sessions: the reviewer is launched by a worker that has
 * its agent (the agent's queue), under the same run lease and epoch fencing as agent runs; the
 * verdict comes back through the log as `run.reviewed`. Like the local actor it never rejects
 * for the reviewer's sake: a run that fails or cannot be queued is a recorded `concern`. The
 * review machine's own backstop bounds the wait (a run no worker takes counts as a timeout).
 */
export function remoteReviewerRun(deps: RemoteReviewDeps) {
  return fromPromise<PeerReview, ReviewerRunActorInput>(
    ({ input, signal }) =>
      new Promise<PeerReview>((resolve, reject) => {
        const earlier = deps.recorded?.(input.reviewId, input.reviewer);
        if (earlier) return resolve(earlier);
        const now = deps.now ?? (() => new Date());
        const template = deps.templates[input.reviewer];
        const adapter = deps.adapters[input.reviewer];
        if (!template || !adapter) return resolve(peerReview(input, 'failed', now(), undefined, `no launch configuration for reviewer ${input.reviewer}`));
        const identity = { sessionId: input.sessionId, workerId: `${input.reviewId}/${input.reviewer}`, agent: input.reviewer, attempt: 1 };
        const adopted = deps.restoring?.() === true ? deps.store.runs.unfinished(identity.sessionId, identity.workerId, 1, identity.agent) : undefined;
        const runId = adopted?.runId ?? newRunId(identity);
        const run: ReviewRunInput = { kind: 'review', ...identity, adapter, sessionDir: deps.sessionDir, template: { ...template }, review: input };
        const abort = (): void => {
          follower.close();
          follower.requestStop();
        };
        const finish = (review: PeerReview): void => {
          follower.close();
          signal.removeEventListener('abort', abort);
          try {
            deps.onReview?.(review);
            resolve(review);
          } catch (error) {
            // Not kept (this process was fenced out, the store is gone): as a local reviewer run does.
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        };
        const follower = new RunFollower(
          deps,
          { runId, sessionId: identity.sessionId, agent: identity.agent, input: run },
          (entry) => {
            if (!entry.key?.startsWith(`${runId}#`)) return;
            deps.publish(entry);
            const review = reviewOfEntry(entry);
            if (review) return finish(review);
            if (entry.type === 'run.failed') return finish(peerReview(input, 'failed', now(), undefined, `the reviewer run failed on its worker: ${entry.payload.text}`));
            const event = processEventOf(entry);
            if (event?.type === 'agent.events') for (const e of event.events) deps.onEvent(e);
          },
          (message) => finish(peerReview(input, 'failed', now(), undefined, message)),
        );
        signal.addEventListener('abort', abort, { once: true });
        follower.start(adopted ? 'restored, still queued' : 'new reviewer run');
      }),
  );
}
