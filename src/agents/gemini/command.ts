import { homedir } from 'node:os';
import { join } from 'node:path';
import { shellCommandLine } from '../common/shell-quote.js';
import { fixDirs, GUARD_HOOK_TIMEOUT_S, hasFix } from '../common/fixes.js';
import type { LaunchFile, LaunchRequest, LaunchSpec, McpServerSpec } from '../types.js';

export const GEMINI_BINARY = 'gemini';

/** Above this the prompt goes on stdin: argv has OS limits (E2BIG) and shows up in `ps`. */
export const MAX_ARGV_PROMPT = 100_000;

/** Gemini prepends stdin to the `--prompt` text, so this short prompt follows the real instructions. */
export const STDIN_PROMPT = 'Your full instructions are the text above, sent on standard input. Follow them.';

const APPROVAL_FLAGS = ['--yolo', '-y', '--approval-mode'];

/** Gemini has no output-schema flag, so the schema becomes part of the instructions. */
export function promptWithSchema(prompt: string, schema: Record<string, unknown> | undefined): string {
  if (!schema) return prompt;
  return [
    prompt,
    '',
    'Answer with exactly one JSON object that matches this JSON Schema, and nothing else',
    '(no prose before or after it, no Markdown code fence):',
    JSON.stringify(schema),
  ].join('\n');
}

function mcpSettings(servers: Record<string, McpServerSpec>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(servers)) {
    out[name] = { command: s.command, args: s.args, ...(s.env ? { env: s.env } : {}) };
  }
  return out;
}

/** What an orchestrator-run Gemini always gets unless its settings say otherwise: no update checks, no telemetry. */
const DEFAULT_SETTINGS = {
  general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
  privacy: { usageStatisticsEnabled: false },
  telemetry: { enabled: false },
};

/** The tools whose input the guard checks: the shell and every file tool. */
export const GUARDED_TOOLS = 'run_shell_command|write_file|replace|read_file|read_many_files|list_directory|glob|grep_search|search_file_content';

/** The guard as a BeforeTool command hook (exit 2 or a JSON deny refuses the call), with the roots fixes added. */
export function guardHooks(guard: NonNullable<LaunchRequest['guard']>, extraRoots: readonly string[]): Record<string, unknown> {
  const command = shellCommandLine([guard.command, ...guard.args, ...extraRoots.flatMap((d) => ['--allow-root', d])]);
  return { BeforeTool: [{ matcher: GUARDED_TOOLS, hooks: [{ type: 'command', name: 'orchestrate-guard', command, timeout: GUARD_HOOK_TIMEOUT_S * 1000 }] }] };
}

/**
 * Files a borrowed Gemini home links from the user's `~/.gemini`, so OAuth sign-ins keep working
 * (token refreshes write through the link).
 */
export const BORROWED_FILES = ['oauth_creds.json', 'google_accounts.json', 'installation_id', 'user_id'];

/**
 * Where Gemini reads its user settings. Hooks and MCP servers are only read from settings files
 * (the system scope must be root-owned, the project scope is the user's repository), so an
 * orchestrator that installs them needs a Gemini home of its own: the configured `home`, or one
 * in the session workspace that borrows the user's settings and sign-in (GEMINI_CLI_HOME moves
 * only Gemini's files; the agent's HOME stays the user's).
 */
function geminiHome(request: LaunchRequest): { dir: string; borrowFrom?: string } | undefined {
  if (request.home) return { dir: request.home };
  const needed = request.guard !== undefined || Object.keys(request.mcpServers ?? {}).length > 0;
  if (!needed) return undefined;
  return { dir: join(request.workspace, 'gemini-home'), borrowFrom: join(request.env?.HOME ?? homedir(), '.gemini') };
}

/**
 * The settings file: the user's own settings (or what is already in the configured home) with
 * the orchestrator's reporting server and guard hook over them and its defaults under them.
 * While orchestrated, Gemini's BeforeTool hooks are the guard's.
 */
export function settingsFiles(request: LaunchRequest, home: { dir: string; borrowFrom?: string }): LaunchFile[] {
  const path = join(home.dir, '.gemini', 'settings.json');
  const defaults: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  // With GOOGLE_GEMINI_BASE_URL alone the CLI picks auth type "gateway" and exits 41 (facts §3.2).
  if (request.env?.GOOGLE_GEMINI_BASE_URL !== undefined) defaults.security = { auth: { selectedType: 'gemini-api-key' } };
  const enforced: Record<string, unknown> = {};
  if (request.mcpServers && Object.keys(request.mcpServers).length > 0) enforced.mcpServers = mcpSettings(request.mcpServers);
  if (request.guard) enforced.hooks = guardHooks(request.guard, fixDirs(request, 'include-directories'));
  const files: LaunchFile[] = [
    { path, content: `${JSON.stringify(enforced, null, 2)}\n`, jsonDefaults: defaults, mergeJsonFrom: home.borrowFrom ? join(home.borrowFrom, 'settings.json') : path },
  ];
  if (home.borrowFrom) {
    for (const name of BORROWED_FILES) files.push({ path: join(home.dir, '.gemini', name), content: '', linkTo: join(home.borrowFrom, name) });
  }
  return files;
}

function approvalArgs(request: LaunchRequest): string[] {
  if (request.mode !== 'work') return ['--approval-mode', 'plan'];
  // The CLI exits 1 when both --yolo and --approval-mode are given; a configured mode wins in work mode.
  const configured = (request.extraArgs ?? []).some((a) => APPROVAL_FLAGS.includes(a) || a.startsWith('--approval-mode='));
  return configured ? [] : ['--yolo'];
}

export function buildCommand(request: LaunchRequest): LaunchSpec {
  const args = ['--output-format', 'stream-json', '--skip-trust', ...approvalArgs(request)];
  const dirs: string[] = [];
  for (const d of [...request.extraDirs, ...fixDirs(request, 'include-directories')]) if (!dirs.includes(d)) dirs.push(d);
  for (const d of dirs) args.push('--include-directories', d);
  // Resuming keeps the conversation's own id, so a preset id would only conflict with it.
  if (request.resumeSessionId) args.push('--resume', request.resumeSessionId);
  else if (request.presetSessionId) args.push('--session-id', request.presetSessionId);
  args.push(...(request.extraArgs ?? []));

  const prompt = promptWithSchema(request.prompt, request.outputSchema);
  const onStdin = prompt.length > MAX_ARGV_PROMPT;
  // `--prompt=` keeps a prompt that starts with "-" from being read as a flag.
  args.push(`--prompt=${onStdin ? STDIN_PROMPT : prompt}`);

  const env: Record<string, string> = {};
  if (hasFix(request, 'skip-trust')) env.GEMINI_CLI_TRUST_WORKSPACE = 'true';
  const home = geminiHome(request);
  const files: LaunchFile[] = home ? settingsFiles(request, home) : [];
  if (home) env.GEMINI_CLI_HOME = home.dir;
  if (request.home) env.HOME = request.home;
  Object.assign(env, request.env);

  return {
    command: request.command ?? GEMINI_BINARY,
    args,
    env,
    cwd: request.cwd,
    ...(onStdin ? { input: prompt } : {}),
    files,
  };
}
