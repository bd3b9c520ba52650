import { z } from 'zod';
import { DecisionAction, Verdict } from '../protocol/index.js';

/**
 * The payloads of the orchestrator's own log records that the view reads. Loose: a record
 * carries more than the view needs, and an older or newer record that does not fit is shown in
 * the log but changes nothing.
 */
export const Started = z.looseObject({ tier: z.number(), reason: z.string(), task: z.string().optional() });
export const TierChange = z.looseObject({ tier: z.number(), reason: z.string() });
export const StateChange = z.looseObject({ state: z.string() });
export const PlanRecord = z.looseObject({
  plan: z.looseObject({ summary: z.string(), tasks: z.array(z.looseObject({ id: z.string(), title: z.string() })) }),
});
export const TaskStarted = z.looseObject({ taskId: z.string(), title: z.string(), index: z.number(), total: z.number() });
export const Paused = z.looseObject({ reason: z.string() });
export const Question = z.looseObject({ text: z.string() });
export const Escalated = z.looseObject({ reason: z.string(), suggestions: z.array(z.string()).default([]), acceptsClarification: z.boolean().optional() });
export const ReviewStarted = z.looseObject({ reviewId: z.string() });
export const ReviewDecided = z.looseObject({
  reviewId: z.string(),
  action: DecisionAction,
  reasons: z.array(z.string()).default([]),
  reviews: z
    .array(z.looseObject({ reviewer: z.string(), verdict: Verdict, outcome: z.string(), summary: z.string(), trigger: z.string().optional(), subjectWorkerId: z.string().optional() }))
    .default([]),
});
export const Spawned = z.looseObject({ workerId: z.string(), attempt: z.number(), pid: z.number().optional(), agent: z.string().optional() });
export const Recovery = z.looseObject({ workerId: z.string() });
export const ConfirmationRequested = z.looseObject({ id: z.string(), tool: z.string(), subject: z.string(), reason: z.string() }).transform(({ id, tool, subject, reason }) => ({ id, tool, subject, reason }));
export const ConfirmationAnswered = z.looseObject({ id: z.string() });
