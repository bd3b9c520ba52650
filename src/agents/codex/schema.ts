import { z } from 'zod';

/**
 * Codex CLI 0.169 `codex exec --json` lines (codex-rs/exec/src/exec_events.rs). Only the
 * fields the translator reads are declared, optional: Codex adds item kinds and fields between
 * releases, and a new field must never make a known line unparseable. Undeclared fields are
 * accepted and left out of the result, not copied (nothing reads them).
 */

export const CodexUsage = z.object({
  input_tokens: z.number().optional(),
  cached_input_tokens: z.number().optional(),
  output_tokens: z.number().optional(),
  reasoning_output_tokens: z.number().optional(),
});
export type CodexUsage = z.infer<typeof CodexUsage>;

const ErrorBody = z.object({ message: z.string().optional() });

/** One thread item; `type` picks which of the optional fields are filled. */
export const CodexItem = z.object({
  id: z.string().optional(),
  type: z.string(),
  // agent_message, reasoning, plan
  text: z.string().optional(),
  // command_execution
  command: z.string().optional(),
  aggregated_output: z.string().optional(),
  exit_code: z.number().int().nullable().optional(),
  status: z.string().optional(),
  // file_change
  changes: z.array(z.object({ path: z.string(), kind: z.string().optional() })).optional(),
  // mcp_tool_call, collab_tool_call
  server: z.string().optional(),
  tool: z.string().optional(),
  arguments: z.unknown().optional(),
  result: z.unknown().optional(),
  error: ErrorBody.nullable().optional(),
  prompt: z.string().nullable().optional(),
  // web_search
  query: z.string().optional(),
  // todo_list
  items: z.array(z.object({ text: z.string(), completed: z.boolean().optional() })).optional(),
  // error (a non-fatal warning item)
  message: z.string().optional(),
});
export type CodexItem = z.infer<typeof CodexItem>;

export const ThreadStartedLine = z.object({ type: z.literal('thread.started'), thread_id: z.string() });
export const TurnCompletedLine = z.object({ type: z.literal('turn.completed'), usage: CodexUsage.optional() });
export const TurnFailedLine = z.object({ type: z.literal('turn.failed'), error: ErrorBody.optional() });
export const ItemLine = z.object({
  type: z.enum(['item.started', 'item.updated', 'item.completed']),
  item: CodexItem,
});
export type ItemLine = z.infer<typeof ItemLine>;
export const ErrorLine = z.object({ type: z.literal('error'), message: z.string() });
export const RequestUserInputLine = z.object({
  type: z.literal('request_user_input'),
  questions: z.array(z.object({ question: z.string().optional() })).optional(),
});

/** Every line starts with a string `type`; anything else is not a Codex event. */
export const Envelope = z.object({ type: z.string() });
