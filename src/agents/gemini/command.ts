import { dirname, join } from 'node:path';
import { shellCommandLine } from '../common/shell-quote.js';
import { fixDirs, hasFix } from '../common/fixes.js';
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

/** Settings for an orchestrator-owned HOME: no update checks, no telemetry, and an auth type that works with a base URL. */
export function settingsFile(request: LaunchRequest, home: string): LaunchFile {
  const settings: Record<string, unknown> = {
    general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
    privacy: { usageStatisticsEnabled: false },
    telemetry: { enabled: false },
  };
  // With GOOGLE_GEMINI_BASE_URL alone the CLI picks auth type "gateway" and exits 41 (facts §3.2).
  if (request.env?.GOOGLE_GEMINI_BASE_URL !== undefined) {
    settings.security = { auth: { selectedType: 'gemini-api-key' } };
  }
  return { path: join(home, '.gemini', 'settings.json'), content: `${JSON.stringify(settings, null, 2)}\n`, ifMissing: true };
}

/** The tools whose input the guard checks: the shell and every file tool. */
export const GUARDED_TOOLS = 'run_shell_command|write_file|replace|read_file|read_many_files|list_directory|glob|grep_search|search_file_content';

/** The guard as a BeforeTool command hook (exit 2 or a JSON deny refuses the call), with the roots fixes added. */
export function guardHooks(guard: NonNullable<LaunchRequest['guard']>, extraRoots: readonly string[]): Record<string, unknown> {
  const command = shellCommandLine([guard.command, ...guard.args, ...extraRoots.flatMap((d) => ['--allow-root', d])]);
  return { BeforeTool: [{ matcher: GUARDED_TOOLS, hooks: [{ type: 'command', name: 'orchestrate-guard', command, timeout: 30_000 }] }] };
}

const DEFAULT_SYSTEM_SETTINGS = '/etc/gemini-cli/settings.json';

/**
 * The orchestrator's part of the settings (reporting server, guard hook) goes into the *system*
 * scope, which Gemini reads from GEMINI_CLI_SYSTEM_SETTINGS_PATH, so it applies whatever HOME the
 * agent has and is rewritten on every launch; the administrator's own system settings are merged
 * in, and their system defaults stay where they were.
 */
function systemSettings(request: LaunchRequest): { file: LaunchFile; env: Record<string, string> } | undefined {
  const settings: Record<string, unknown> = {};
  if (request.mcpServers && Object.keys(request.mcpServers).length > 0) settings.mcpServers = mcpSettings(request.mcpServers);
  if (request.guard) settings.hooks = guardHooks(request.guard, fixDirs(request, 'include-directories'));
  if (Object.keys(settings).length === 0) return undefined;
  const original = request.env?.GEMINI_CLI_SYSTEM_SETTINGS_PATH ?? DEFAULT_SYSTEM_SETTINGS;
  const path = join(request.workspace, 'gemini', `system-settings-${request.role}-${request.mode}.json`);
  return {
    file: { path, content: `${JSON.stringify(settings, null, 2)}\n`, mergeJsonFrom: original },
    env: {
      GEMINI_CLI_SYSTEM_SETTINGS_PATH: path,
      GEMINI_CLI_SYSTEM_DEFAULTS_PATH: request.env?.GEMINI_CLI_SYSTEM_DEFAULTS_PATH ?? join(dirname(original), 'system-defaults.json'),
    },
  };
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
  const files: LaunchFile[] = [];
  if (request.home) {
    env.HOME = request.home;
    env.GEMINI_CLI_HOME = request.home;
    files.push(settingsFile(request, request.home));
  }
  const system = systemSettings(request);
  if (system) files.push(system.file);
  Object.assign(env, request.env, system?.env ?? {});

  return {
    command: request.command ?? GEMINI_BINARY,
    args,
    env,
    cwd: request.cwd,
    ...(onStdin ? { input: prompt } : {}),
    files,
  };
}
