import { launchSpecFor } from '../safety/sandbox.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromPromise } from 'xstate';
import { getAdapter } from '../agents/registry.js';
import type { LaunchRequest } from '../agents/types.js';
import type { ReviewerRunInput } from '../machines/events.js';
import { parseAnswer } from '../machines/plan.js';
import type { LaunchTemplate } from '../machines/session-context.js';
import { ReviewAnswer, type AgentEventInput, type PeerReview } from '../protocol/index.js';
import { verdictSchema } from '../prompts/index.js';
import { AgentRun, type AgentRunExit } from './agent-run.js';
import { DEFAULT_KILL_GRACE_MS, DEFAULT_MAX_LINE_BYTES, DEFAULT_STDERR_TAIL_BYTES } from './agent-process.js';

export interface ReviewerRunDeps {
  sessionDir: string;
  templates: Record<string, LaunchTemplate>;
  adapters: Record<string, 'claude' | 'codex' | 'gemini' | 'jsonl'>;
  onEvent: (event: AgentEventInput) => void;
  /** With an event log: runs `fn` once the events so far are committed (gates the raw copy). */
  afterCommit?: (fn: () => void, lost?: () => void) => void;
  /** A review already recorded for this reviewer (after a restart): returned instead of asking again. */
  recorded?: (reviewId: string, reviewer: string) => PeerReview | undefined;
  /** The reviewer's process group, so a resume can kill it if the orchestrator dies first. */
  onSpawned?: (workerId: string, agent: string, attempt: number, pid: number) => void;
  /** Each review as soon as it is known, so a restart does not ask that reviewer again. */
  onReview?: (review: PeerReview) => void;
  /** Each run as it starts: settles once its last events (its exit) are handed on. */
  track?: (run: Promise<unknown>) => void;
  now?: () => Date;
}

export type ReviewerRunActorInput = ReviewerRunInput & { timeoutMs: number };
type Input = ReviewerRunActorInput;

/** The PeerReview of one reviewer run: its answer, or why there is none (then a `concern`). */
export function peerReview(input: Input, outcome: PeerReview['outcome'], at: Date, answer?: ReviewAnswer, why?: string): PeerReview {
  return {
    reviewId: input.reviewId,
    reviewer: input.reviewer,
    subjectWorkerId: input.subjectWorkerId,
    trigger: input.trigger,
    outcome,
    verdict: answer?.verdict ?? 'concern',
    summary: answer?.summary ?? why ?? outcome,
    findings: answer?.findings ?? [],
    timestamp: at.toISOString(),
  };
}

/**
 * One reviewer: launch its agent read-only with the verdict schema, bounded by a timeout,
 * and turn whatever happens into a PeerReview. It never rejects: a reviewer that fails,
 * times out or answers unparseably is a recorded `concern`.
 */
export function reviewerRun(deps: ReviewerRunDeps) {
  return fromPromise<PeerReview, Input>(async ({ input, signal }) => {
    const earlier = deps.recorded?.(input.reviewId, input.reviewer);
    if (earlier) return earlier;
    const now = deps.now ?? (() => new Date());
    const dir = join(deps.sessionDir, 'reviews', input.reviewId);
    mkdirSync(dir, { recursive: true });
    const review = (outcome: PeerReview['outcome'], answer?: ReviewAnswer, why?: string): PeerReview => peerReview(input, outcome, now(), answer, why);
    const template = deps.templates[input.reviewer];
    const adapterName = deps.adapters[input.reviewer];
    if (!template || !adapterName) return review('failed', undefined, `no launch configuration for reviewer ${input.reviewer}`);
    const adapter = getAdapter(adapterName);
    const base: LaunchRequest = { ...template, role: 'reviewer', mode: input.selfReview ? 'read-only' : 'review', prompt: input.prompt, outputSchema: verdictSchema() };

    let final: AgentEventInput | undefined;
    let timedOut = false;
    const attemptRun = async (request: LaunchRequest, attempt: number): Promise<AgentRunExit> => {
      const run = new AgentRun(
        {
          sessionId: input.sessionId,
          workerId: `${input.reviewId}/${input.reviewer}`,
          agent: input.reviewer,
          attempt,
          adapter,
          spec: launchSpecFor(adapter, request),
          sessionDir: deps.sessionDir,
          maxLineBytes: DEFAULT_MAX_LINE_BYTES,
          stderrTailBytes: DEFAULT_STDERR_TAIL_BYTES,
          killGraceMs: DEFAULT_KILL_GRACE_MS,
        },
        {
          onSpawn: (pid) => deps.onSpawned?.(`${input.reviewId}/${input.reviewer}`, input.reviewer, attempt, pid),
          onEvents: (events) => {
            for (const e of events) {
              if (e.payload.kind === 'run.completed') final = e;
              deps.onEvent(e);
            }
          },
          ...(deps.afterCommit ? { afterCommit: deps.afterCommit } : {}),
        },
      );
      const stop = (): void => run.stop();
      signal.addEventListener('abort', stop);
      const timer = setTimeout(() => {
        timedOut = true;
        run.stop();
      }, input.timeoutMs);
      try {
        const running = run.run();
        deps.track?.(running);
        return await running;
      } finally {
        clearTimeout(timer);
        signal.removeEventListener('abort', stop);
      }
    };

    let exit = await attemptRun(base, 1);
    // A launch problem with a known fix (e.g. Codex outside git) gets one corrected retry.
    const fix = !final && !timedOut && !signal.aborted ? adapter.classify({ request: base, events: exit.errorEvents, stderr: exit.stderrTail, exit }) : null;
    if (fix?.remedy.action === 'relaunch') exit = await attemptRun(fix.remedy.request, 2);

    const text = final?.payload.text ?? '';
    writeFileSync(join(dir, `${input.reviewer}.answer.txt`), text);
    let result: PeerReview;
    if (timedOut) result = review('timeout', undefined, `no verdict within ${Math.round(input.timeoutMs / 1000)} s`);
    else if (!final) result = review('failed', undefined, `the reviewer run failed (exit ${String(exit.exitCode)}${exit.signal ? `, ${exit.signal}` : ''}): ${exit.errorEvents.at(-1)?.payload.text ?? exit.stderrTail.trim().split('\n').at(-1) ?? ''}`.slice(0, 1000));
    else {
      const parsed = parseAnswer(ReviewAnswer, final.payload.structured, text);
      result = parsed.ok ? review('answered', parsed.value) : review('unparseable', undefined, `the verdict did not validate: ${parsed.problems.join('; ')}`.slice(0, 1000));
    }
    writeFileSync(join(dir, `${input.reviewer}.review.json`), `${JSON.stringify(result, null, 2)}\n`);
    deps.onReview?.(result);
    return result;
  });
}
