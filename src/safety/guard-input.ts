import { z } from 'zod';

/**
 * The hook inputs the guard understands, loose (unknown fields pass: both CLIs add fields over
 * time), and what each tool asks to do.
 *
 * Claude Code `PreToolUse` (https://code.claude.com/docs/en/hooks#pretooluse-input): the common
 * fields `session_id`, `transcript_path`, `cwd`, `permission_mode`, `hook_event_name`, plus
 * `tool_name`, `tool_input`, `tool_use_id`.
 * Gemini CLI `BeforeTool` (https://geminicli.com/docs/hooks/reference, google-gemini/gemini-cli
 * docs/hooks/reference.md): `session_id`, `transcript_path`, `cwd`, `hook_event_name`,
 * `timestamp`, plus `tool_name`, `tool_input`, optional `mcp_context`.
 */

export type HookFormat = 'claude' | 'gemini';

const Common = {
  session_id: z.string().optional(),
  transcript_path: z.string().optional(),
  cwd: z.string().min(1).optional(),
  tool_name: z.string().min(1),
  tool_input: z.record(z.string(), z.unknown()),
};

export const ClaudePreToolUseInput = z.looseObject({
  ...Common,
  hook_event_name: z.literal('PreToolUse'),
  permission_mode: z.string().optional(),
  tool_use_id: z.string().optional(),
});
export type ClaudePreToolUseInput = z.infer<typeof ClaudePreToolUseInput>;

export const GeminiBeforeToolInput = z.looseObject({
  ...Common,
  hook_event_name: z.literal('BeforeTool'),
  timestamp: z.string().optional(),
  mcp_context: z.unknown().optional(),
});
export type GeminiBeforeToolInput = z.infer<typeof GeminiBeforeToolInput>;

/** Events of each CLI that are not "about to run a tool": nothing to check there. */
const CLAUDE_OTHER_EVENTS = new Set([
  'PostToolUse', 'PostToolUseFailure', 'PermissionRequest', 'UserPromptSubmit', 'Notification', 'Stop',
  'SubagentStart', 'SubagentStop', 'PreCompact', 'SessionStart', 'SessionEnd',
]);
const GEMINI_OTHER_EVENTS = new Set([
  'AfterTool', 'BeforeAgent', 'AfterAgent', 'BeforeModel', 'AfterModel', 'BeforeToolSelection', 'Notification',
  'PreCompress', 'SessionStart', 'SessionEnd',
]);

export type DetectedInput =
  | { kind: 'tool'; format: HookFormat; toolName: string; toolInput: Record<string, unknown>; cwd: string | undefined }
  | { kind: 'other-event'; format: HookFormat | 'unknown'; event: string }
  | { kind: 'invalid'; format: HookFormat | 'unknown'; reason: string };

export function detectHookInput(raw: unknown): DetectedInput {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { kind: 'invalid', format: 'unknown', reason: 'the hook input is not a JSON object' };
  }
  const event = (raw as Record<string, unknown>).hook_event_name;
  if (event === 'PreToolUse' || event === 'BeforeTool') {
    const format: HookFormat = event === 'PreToolUse' ? 'claude' : 'gemini';
    const parsed = (format === 'claude' ? ClaudePreToolUseInput : GeminiBeforeToolInput).safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ');
      return { kind: 'invalid', format, reason: `the ${event} hook input does not have the expected shape (${issues})` };
    }
    return { kind: 'tool', format, toolName: parsed.data.tool_name, toolInput: parsed.data.tool_input, cwd: parsed.data.cwd };
  }
  if (typeof event === 'string' && (CLAUDE_OTHER_EVENTS.has(event) || GEMINI_OTHER_EVENTS.has(event))) {
    const format = CLAUDE_OTHER_EVENTS.has(event) && !GEMINI_OTHER_EVENTS.has(event) ? 'claude' : GEMINI_OTHER_EVENTS.has(event) && !CLAUDE_OTHER_EVENTS.has(event) ? 'gemini' : 'unknown';
    return { kind: 'other-event', format, event };
  }
  const what = typeof event === 'string' ? `an unknown hook event "${event}"` : 'no hook_event_name';
  return { kind: 'invalid', format: 'unknown', reason: `the hook input has ${what}, so it is neither a Claude Code PreToolUse nor a Gemini CLI BeforeTool input` };
}

/** What a tool call asks for, in terms the policies can check. */
export interface ToolRequest {
  commands: string[];
  paths: { path: string; intent: 'read' | 'write'; arg: string }[];
  /** Glob patterns: checked through their literal leading part. */
  globs: { pattern: string; base: string | undefined; arg: string }[];
  /** Arguments the tool needs that are missing or of the wrong type: the call cannot be checked. */
  problems: string[];
}

type Extractor = (input: Record<string, unknown>, req: ToolRequest) => void;

const str = (input: Record<string, unknown>, req: ToolRequest, keys: string[], required: boolean): { value: string; key: string } | undefined => {
  for (const key of keys) {
    const value = input[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' || value.length === 0) {
      req.problems.push(`"${key}" is not a non-empty string`);
      return undefined;
    }
    return { value, key };
  }
  if (required) req.problems.push(`"${keys.join('" or "')}" is missing`);
  return undefined;
};

const command = (...keys: string[]): Extractor => (input, req) => {
  const found = str(input, req, keys, true);
  if (found) req.commands.push(found.value);
};
/** `required`: the call cannot be checked without it; `'cwd'`: when missing the tool uses the working directory. */
const path = (intent: 'read' | 'write', required: boolean | 'cwd', ...keys: string[]): Extractor => (input, req) => {
  const problems = req.problems.length;
  const found = str(input, req, keys, required === true);
  if (found) req.paths.push({ path: found.value, intent, arg: found.key });
  else if (required === 'cwd' && req.problems.length === problems) req.paths.push({ path: '.', intent, arg: `${keys[0] ?? 'path'} (default: the working directory)` });
};
const glob = (patternKeys: string[], baseKeys: string[]): Extractor => (input, req) => {
  // The base directory itself is checked (and reported) by the path extractor next to this one.
  const base = baseKeys.map((key) => input[key]).find((value): value is string => typeof value === 'string' && value.length > 0);
  const pattern = str(input, req, patternKeys, true);
  if (pattern) req.globs.push({ pattern: pattern.value, base, arg: pattern.key });
};
const globList = (keys: string[]): Extractor => (input, req) => {
  for (const key of keys) {
    const value = input[key];
    if (value === undefined || value === null) continue;
    const list = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(list) || !list.every((v): v is string => typeof v === 'string')) {
      req.problems.push(`"${key}" is not a list of strings`);
      return;
    }
    for (const pattern of list) req.globs.push({ pattern, base: undefined, arg: key });
    return;
  }
};
const all = (...extractors: Extractor[]): Extractor => (input, req) => extractors.forEach((e) => e(input, req));

/**
 * Tool names of both CLIs (they do not collide), so a tool is checked whatever event carried it.
 * Claude Code: https://code.claude.com/docs/en/hooks#pretooluse-input (Bash `command`, Write/Edit
 * `file_path`, Read `file_path`, Glob/Grep `pattern` + `path`). Gemini CLI:
 * packages/core/src/tools/definitions/base-declarations.ts (`file_path`, `dir_path`, `pattern`,
 * `include`); the older argument names (`absolute_path`, `path`, `paths`) are accepted too.
 * Anything else (MCP tools, web, todos, ...) touches neither files nor commands and is allowed.
 */
const TOOLS: Record<string, Extractor> = {
  // Claude Code
  Bash: command('command'),
  Write: path('write', true, 'file_path'),
  Edit: path('write', true, 'file_path'),
  MultiEdit: path('write', true, 'file_path'),
  NotebookEdit: path('write', true, 'notebook_path'),
  Read: path('read', true, 'file_path'),
  NotebookRead: path('read', true, 'notebook_path'),
  LS: path('read', true, 'path'),
  Glob: all(path('read', 'cwd', 'path'), glob(['pattern'], ['path'])),
  Grep: path('read', 'cwd', 'path'),
  // Gemini CLI
  run_shell_command: all(command('command'), path('write', false, 'dir_path', 'directory')),
  write_file: path('write', true, 'file_path'),
  replace: path('write', true, 'file_path'),
  read_file: path('read', true, 'file_path', 'absolute_path'),
  read_many_files: all(globList(['include', 'paths']), path('read', 'cwd', 'dir_path')),
  list_directory: path('read', true, 'dir_path', 'path'),
  glob: all(path('read', 'cwd', 'dir_path', 'path'), glob(['pattern'], ['dir_path', 'path'])),
  search_file_content: path('read', 'cwd', 'dir_path', 'path'),
  grep_search: path('read', 'cwd', 'dir_path', 'path'),
};

/** What the tool asks for, or null for a tool that is neither a file nor a command tool. */
export function toolRequest(toolName: string, toolInput: Record<string, unknown>): ToolRequest | null {
  const extractor = Object.hasOwn(TOOLS, toolName) ? TOOLS[toolName] : undefined;
  if (extractor === undefined) return null;
  const req: ToolRequest = { commands: [], paths: [], globs: [], problems: [] };
  extractor(toolInput, req);
  return req;
}
