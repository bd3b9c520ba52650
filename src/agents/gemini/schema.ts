import { z } from 'zod';

/**
 * Gemini CLI 0.61 `--output-format stream-json` lines (agent-cli-facts.md §3.3).
 * Every field is optional and undeclared fields are accepted (left out of the result, not
 * copied): a newer CLI that adds or drops a field must still translate, and the translator
 * decides what is missing.
 */

const Timestamped = { timestamp: z.string().optional() };

export const InitLine = z.object({
  type: z.literal('init'),
  ...Timestamped,
  session_id: z.string().optional(),
  model: z.string().optional(),
});
export type InitLine = z.infer<typeof InitLine>;

export const MessageLine = z.object({
  type: z.literal('message'),
  ...Timestamped,
  role: z.string().optional(),
  content: z.string().optional(),
  delta: z.boolean().optional(),
});
export type MessageLine = z.infer<typeof MessageLine>;

export const ToolUseLine = z.object({
  type: z.literal('tool_use'),
  ...Timestamped,
  tool_name: z.string().optional(),
  tool_id: z.string().optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
});
export type ToolUseLine = z.infer<typeof ToolUseLine>;

const ToolError = z.object({ type: z.string().optional(), message: z.string().optional() });

export const ToolResultLine = z.object({
  type: z.literal('tool_result'),
  ...Timestamped,
  tool_id: z.string().optional(),
  status: z.string().optional(),
  output: z.string().optional(),
  error: ToolError.optional(),
});
export type ToolResultLine = z.infer<typeof ToolResultLine>;

export const ErrorLine = z.object({
  type: z.literal('error'),
  ...Timestamped,
  severity: z.string().optional(),
  message: z.string().optional(),
});
export type ErrorLine = z.infer<typeof ErrorLine>;

const Count = z.number().nonnegative().optional();

export const StreamStats = z.object({
  total_tokens: Count,
  input_tokens: Count,
  output_tokens: Count,
  cached: Count,
  input: Count,
  duration_ms: Count,
  tool_calls: Count,
  models: z.record(z.string(), z.unknown()).optional(),
});
export type StreamStats = z.infer<typeof StreamStats>;

export const ResultLine = z.object({
  type: z.literal('result'),
  ...Timestamped,
  status: z.string().optional(),
  error: ToolError.optional(),
  stats: StreamStats.optional(),
});
export type ResultLine = z.infer<typeof ResultLine>;

export const GeminiLine = z.discriminatedUnion('type', [
  InitLine,
  MessageLine,
  ToolUseLine,
  ToolResultLine,
  ErrorLine,
  ResultLine,
]);
export type GeminiLine = z.infer<typeof GeminiLine>;

export const KNOWN_TYPES: readonly string[] = ['init', 'message', 'tool_use', 'tool_result', 'error', 'result'];

/** `stats.models[m].tokens` of the single-document `--output-format json` mode. */
export const JsonModelTokens = z.object({
  tokens: z
    .object({ input: Count, prompt: Count, candidates: Count, cached: Count, total: Count })
    .optional(),
});

/** `--output-format json`: one pretty-printed object, no `type` (errors go to stderr instead). */
export const JsonDocument = z.object({
  session_id: z.string().optional(),
  response: z.string().optional(),
  stats: z.object({ models: z.record(z.string(), JsonModelTokens).optional() }).optional(),
  error: z.object({ type: z.string().optional(), message: z.string().optional(), code: z.number().optional() }).optional(),
});
export type JsonDocument = z.infer<typeof JsonDocument>;
