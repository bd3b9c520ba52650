import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromPromise } from 'xstate';
import type { PrepareReviewInput } from '../machines/review.js';
import type { TaskBreakdown } from '../protocol/index.js';
import { reviewPrompt, truncateDiff } from '../prompts/index.js';
import { diffTrees, snapshotTree } from '../runtime/git.js';

export interface ReviewRequestDeps {
  sessionDir: string;
  target: string;
  task: string;
  isGitRepo: boolean;
  diffMaxBytes: number;
  plan: () => TaskBreakdown | undefined;
  /** Tree snapshots: the session's start, and the last reviewed state. */
  trees: { base?: string; last?: string };
  /** The tree a review looked at, recorded so the next review after a restart diffs from it. */
  onTree?: (reviewId: string, tree: string) => void;
}

/** Builds a review request: the subject's report plus the git diff since the last review (the whole change for the final review). */
export function prepareReview(deps: ReviewRequestDeps) {
  return fromPromise<{ prompt: string }, PrepareReviewInput>(async ({ input }) => {
    let diff = '(the target is not a git repository: no diff available)';
    if (deps.isGitRepo) {
      const now = await snapshotTree(deps.target);
      const from = input.subject.kind === 'final-review' ? deps.trees.base : (deps.trees.last ?? deps.trees.base);
      diff = from ? await diffTrees(deps.target, from, now) : '';
      deps.trees.last = now;
      deps.onTree?.(input.reviewId, now);
    }
    const prompt = reviewPrompt({
      kind: input.subject.kind,
      trigger: input.trigger,
      subject: input.subject,
      task: deps.task,
      milestone: input.subject.text,
      diff: truncateDiff(diff, deps.diffMaxBytes),
      plan: deps.plan(),
    });
    const dir = join(deps.sessionDir, 'reviews', input.reviewId);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'request.md'), prompt);
    return { prompt };
  });
}

/** Resolves once the process group is gone (or after `maxMs`): a relaunch must not overlap the old run. */
export const awaitGroupExit = fromPromise<void, { pid?: number | undefined; maxMs?: number }>(async ({ input }) => {
  if (input.pid === undefined) return;
  const deadline = Date.now() + (input.maxMs ?? 10_000);
  for (;;) {
    try {
      process.kill(-input.pid, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 50));
  }
});
