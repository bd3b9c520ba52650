import { z } from 'zod';
import type { LogEntry } from '../persistence/types.js';
import { PeerReview, ReviewTrigger } from '../protocol/index.js';

/**
 * A reviewer run as stored in the `runs` table for a worker: the same input the local
 * `reviewerRun` actor gets, plus the reviewer's launch template (the orchestrator's own output,
 * passed through) and where the session keeps its files.
 */
export const ReviewRunInput = z.object({
  kind: z.literal('review'),
  sessionId: z.string().min(1),
  /** `<reviewId>/<reviewer>`, as a local reviewer run's events carry it. */
  workerId: z.string().min(1),
  agent: z.string().min(1),
  attempt: z.number().int().positive(),
  adapter: z.enum(['claude', 'codex', 'gemini', 'jsonl']),
  sessionDir: z.string().min(1),
  template: z.record(z.string(), z.unknown()),
  review: z.object({
    sessionId: z.string().min(1),
    reviewId: z.string().min(1),
    reviewer: z.string().min(1),
    subjectWorkerId: z.string().min(1),
    trigger: ReviewTrigger,
    prompt: z.string(),
    selfReview: z.boolean(),
    timeoutMs: z.number().positive(),
  }),
});
export type ReviewRunInput = z.infer<typeof ReviewRunInput>;

/** The verdict a worker's reviewer run came to, as the log entry that ends the run. */
export function reviewedEntry(review: PeerReview, host: string): { type: string; payload: LogEntry['payload'] } {
  return { type: 'run.reviewed', payload: { text: `${review.reviewer}: ${review.verdict} (${review.outcome}) on ${host}`, host, review } };
}

export function reviewOfEntry(entry: LogEntry): PeerReview | undefined {
  if (entry.type !== 'run.reviewed') return undefined;
  const parsed = PeerReview.safeParse(entry.payload.review);
  return parsed.success ? parsed.data : undefined;
}
