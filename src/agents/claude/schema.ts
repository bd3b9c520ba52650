import { z } from 'zod';

/**
 * Claude Code 2.1.x `--output-format stream-json --verbose` lines. Only the fields the
 * translator reads are declared, all optional: the CLI adds fields often and a new field must
 * never make a known line unparseable. Fields not declared are accepted and left out of the
 * result (zod's default), not copied: passing them through (`looseObject`) made validation a
 * tenth slower, for fields nothing reads.
 */

export const ContentBlock = z.object({
  type: z.string(),
  text: z.string().optional(),
  thinking: z.string().optional(),
  id: z.string().optional(),
  name: z.string().optional(),
  input: z.unknown().optional(),
  tool_use_id: z.string().optional(),
  content: z.unknown().optional(),
  is_error: z.boolean().optional(),
});
export type ContentBlock = z.infer<typeof ContentBlock>;

export const SystemLine = z.object({
  type: z.literal('system'),
  subtype: z.string().optional(),
  session_id: z.string().optional(),
  model: z.string().optional(),
  cwd: z.string().optional(),
  permissionMode: z.string().optional(),
  claude_code_version: z.string().optional(),
  // api_retry
  attempt: z.number().optional(),
  max_retries: z.number().optional(),
  retry_delay_ms: z.number().optional(),
  error_status: z.number().nullable().optional(),
  error: z.string().nullable().optional(),
  // hook_response
  hook_name: z.string().optional(),
  hook_event: z.string().optional(),
  outcome: z.string().optional(),
  exit_code: z.number().nullable().optional(),
  output: z.string().optional(),
  stderr: z.string().optional(),
});
export type SystemLine = z.infer<typeof SystemLine>;

export const AssistantLine = z.object({
  type: z.literal('assistant'),
  message: z.object({
    id: z.string().optional(),
    model: z.string().optional(),
    content: z.array(ContentBlock),
  }),
  session_id: z.string().optional(),
  /** Set on the synthetic message Claude Code writes for a failed API call. */
  error: z.string().optional(),
  parent_tool_use_id: z.string().nullable().optional(),
});
export type AssistantLine = z.infer<typeof AssistantLine>;

export const UserLine = z.object({
  type: z.literal('user'),
  message: z.object({
    content: z.union([z.string(), z.array(ContentBlock)]),
  }),
  session_id: z.string().optional(),
  timestamp: z.string().optional(),
  isSynthetic: z.boolean().optional(),
  tool_use_result: z.unknown().optional(),
});
export type UserLine = z.infer<typeof UserLine>;

export const PermissionDenial = z.object({
  tool_name: z.string().optional(),
  tool_use_id: z.string().optional(),
  tool_input: z.unknown().optional(),
});
export type PermissionDenial = z.infer<typeof PermissionDenial>;

const TokenCount = z.number().nonnegative().optional();

export const ResultLine = z.object({
  type: z.literal('result'),
  subtype: z.string().optional(),
  is_error: z.boolean().optional(),
  api_error_status: z.number().nullable().optional(),
  result: z.string().optional(),
  session_id: z.string().optional(),
  num_turns: z.number().optional(),
  duration_ms: z.number().optional(),
  terminal_reason: z.string().optional(),
  total_cost_usd: z.number().nonnegative().optional(),
  usage: z
    .object({
      input_tokens: TokenCount,
      output_tokens: TokenCount,
      cache_read_input_tokens: TokenCount,
      cache_creation_input_tokens: TokenCount,
    })
    .optional(),
  permission_denials: z.array(PermissionDenial).optional(),
  structured_output: z.unknown().optional(),
  errors: z.array(z.string()).optional(),
});
export type ResultLine = z.infer<typeof ResultLine>;

export const ClaudeLine = z.discriminatedUnion('type', [SystemLine, AssistantLine, UserLine, ResultLine]);
export type ClaudeLine = z.infer<typeof ClaudeLine>;

/**
 * Line types this version can print that carry nothing for the event log: SDK control
 * traffic, keep-alives and rate-limit/progress ticks (the real outcome arrives elsewhere).
 */
export const IGNORED_LINE_TYPES: ReadonlySet<string> = new Set([
  // `--include-partial-messages` deltas: their content arrives again as a whole `assistant` line
  // (mapping them would duplicate it). The most frequent line of a chatty run: not validated.
  'stream_event',
  'keep_alive',
  'rate_limit_event',
  'tool_progress',
  'auth_status',
  'control_request',
  'control_response',
  'control_cancel_request',
]);
