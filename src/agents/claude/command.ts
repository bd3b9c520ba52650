import { ORCHESTRATOR_MCP_SERVER } from '../common/orchestrator-tools.js';
import { fixDirs, GUARD_HOOK_TIMEOUT_S, hasFix } from '../common/fixes.js';
import { shellCommandLine } from '../common/shell-quote.js';
import type { LaunchRequest, LaunchSpec } from '../types.js';

/** Above this the prompt goes on stdin: argv has a size limit and a huge argument shows up in `ps`. */
export const MAX_ARGV_PROMPT = 100_000;

/** Reviewers read and inspect history; they must not write or run anything else. */
export const REVIEW_TOOLS = [
  'Read',
  'Grep',
  'Glob',
  'Bash(git diff:*)',
  'Bash(git log:*)',
  'Bash(git show:*)',
  'Bash(git status:*)',
] as const;

export const DEFAULT_ENV: Readonly<Record<string, string>> = {
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  DISABLE_AUTOUPDATER: '1',
  DISABLE_TELEMETRY: '1',
  DISABLE_ERROR_REPORTING: '1',
};

function mcpConfig(request: LaunchRequest): string {
  const servers = Object.fromEntries(
    Object.entries(request.mcpServers ?? {}).map(([name, s]) => [
      name,
      { type: 'stdio', command: s.command, args: s.args, ...(s.env ? { env: s.env } : {}) },
    ]),
  );
  return JSON.stringify({ mcpServers: servers });
}

function reviewTools(request: LaunchRequest): string[] {
  const tools: string[] = [...REVIEW_TOOLS];
  // dontAsk refuses every tool not listed, so the reporting server and the answer tool must be.
  if (request.mcpServers && Object.hasOwn(request.mcpServers, ORCHESTRATOR_MCP_SERVER)) {
    tools.push(`mcp__${ORCHESTRATOR_MCP_SERVER}`);
  }
  if (request.outputSchema) tools.push('StructuredOutput');
  return tools;
}

/** IS_SANDBOX=1 (exactly "1") is what lets bypass mode run as root. */
export function needsSandboxEnv(request: LaunchRequest): boolean {
  return request.mode === 'work' && (request.runningAsRoot === true || hasFix(request, 'is-sandbox-env'));
}

/** The tools whose input the guard checks (shell commands and file paths). */
export const GUARDED_TOOLS = 'Bash|Write|Edit|MultiEdit|NotebookEdit|Read|Glob|Grep';

/** Settings that install the guard as a PreToolUse hook (exit 2 = the tool call is refused). */
export function guardSettings(guard: NonNullable<LaunchRequest['guard']>, extraRoots: readonly string[] = []): string {
  // Directories a recovery added are allowed by the guard too, or the relaunch would still be refused.
  const command = shellCommandLine([guard.command, ...guard.args, ...extraRoots.flatMap((d) => ['--allow-root', d])]);
  return JSON.stringify({ hooks: { PreToolUse: [{ matcher: GUARDED_TOOLS, hooks: [{ type: 'command', command, timeout: GUARD_HOOK_TIMEOUT_S }] }] } });
}

/**
 * Claude Code 2.1.197 silently leaves out its StructuredOutput tool when the schema declares
 * `"$schema": ".../draft/2020-12/schema"` (zod's default), and the answer then comes back as
 * plain text; without the key the tool is offered (seen with the real CLI).
 */
export function claudeSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

export function buildCommand(request: LaunchRequest): LaunchSpec {
  const args = ['-p', '--output-format', 'stream-json', '--verbose'];
  if (request.mode === 'work') {
    args.push('--dangerously-skip-permissions');
  } else {
    args.push('--permission-mode', 'dontAsk', '--allowedTools', ...reviewTools(request));
  }
  args.push('--strict-mcp-config', '--mcp-config', mcpConfig(request));
  // Hook events in the stream make refused tool calls visible as events.
  if (request.guard) args.push('--settings', guardSettings(request.guard, fixDirs(request, 'add-dir')), '--include-hook-events');
  const dirs = [...new Set([...request.extraDirs, ...fixDirs(request, 'add-dir')])];
  if (dirs.length > 0) args.push('--add-dir', ...dirs);
  if (request.outputSchema) args.push('--json-schema', JSON.stringify(claudeSchema(request.outputSchema)));
  // --session-id together with --resume would need --fork-session; resuming keeps the id anyway.
  if (request.resumeSessionId) args.push('--resume', request.resumeSessionId);
  else if (request.presetSessionId) args.push('--session-id', request.presetSessionId);
  args.push(...(request.extraArgs ?? []));

  // Variadic flags (--add-dir, --mcp-config, --allowedTools) swallow a following
  // positional, so the prompt comes last after `--`, or on stdin when it is huge.
  const onStdin = request.prompt.length > MAX_ARGV_PROMPT;
  if (!onStdin) args.push('--', request.prompt);

  const env: Record<string, string> = {
    ...DEFAULT_ENV,
    ...(needsSandboxEnv(request) ? { IS_SANDBOX: '1' } : {}),
    ...(request.home ? { HOME: request.home } : {}),
    ...request.env,
  };
  return {
    command: request.command ?? 'claude',
    args,
    env,
    cwd: request.cwd,
    ...(onStdin ? { input: request.prompt } : {}),
    files: [],
  };
}
