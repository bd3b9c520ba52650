import { join } from 'node:path';
import { fixDirs, hasFix } from '../common/fixes.js';
import type { LaunchFile, LaunchRequest, LaunchSpec, McpServerSpec } from '../types.js';

/** Longer prompts go on stdin (`-`): argv has OS limits and shows up in `ps`. */
export const MAX_ARGV_PROMPT = 100_000;

/** Codex splits `-c` keys on dots, so a server name may only use TOML bare-key characters. */
function mcpKey(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** JSON string and array-of-string syntax is valid TOML, which is how Codex parses `-c` values. */
function mcpOverrides(servers: Record<string, McpServerSpec>): string[] {
  const args: string[] = [];
  for (const [name, server] of Object.entries(servers)) {
    const key = `mcp_servers.${mcpKey(name)}`;
    args.push('-c', `${key}.command=${JSON.stringify(server.command)}`);
    args.push('-c', `${key}.args=${JSON.stringify(server.args)}`);
    for (const [envName, value] of Object.entries(server.env ?? {})) {
      args.push('-c', `${key}.env.${mcpKey(envName)}=${JSON.stringify(value)}`);
    }
  }
  return args;
}

function unique(values: string[]): string[] {
  return values.filter((v, i) => values.indexOf(v) === i);
}

export function schemaPath(request: LaunchRequest): string {
  return join(request.workspace, 'schemas', `${request.role}-${request.mode}.schema.json`);
}

/**
 * `codex exec --json …  -- <prompt>`, or `codex exec --json … resume -- <id> <prompt>`.
 * Every option goes before `resume`: -s, --add-dir and --output-schema belong to `exec`
 * only, and `exec` still applies them to a resumed thread. `--` keeps a prompt that starts
 * with "-" (or reads "resume") a prompt.
 */
export function buildCommand(request: LaunchRequest): LaunchSpec {
  const resume = request.resumeSessionId;
  const args = ['exec', '--json'];
  // Bypass also skips the git check; reviewers stay in the read-only sandbox instead.
  if (request.mode === 'work') args.push('--dangerously-bypass-approvals-and-sandbox');
  else args.push('-s', 'read-only');
  if (request.isGitRepo === false || hasFix(request, 'skip-git-repo-check')) args.push('--skip-git-repo-check');
  // `exec resume` takes its directory from the process cwd (spec.cwd), not from -C.
  if (!resume) args.push('-C', request.cwd);
  args.push('-c', 'analytics.enabled=false', '-c', 'check_for_update_on_startup=false');
  args.push(...mcpOverrides(request.mcpServers ?? {}));
  for (const dir of unique([...request.extraDirs, ...fixDirs(request, 'add-dir')])) args.push('--add-dir', dir);

  const files: LaunchFile[] = [];
  if (request.outputSchema) {
    const path = schemaPath(request);
    args.push('--output-schema', path);
    files.push({ path, content: `${JSON.stringify(request.outputSchema, null, 2)}\n` });
  }
  args.push(...(request.extraArgs ?? []));

  const viaStdin = request.prompt.length > MAX_ARGV_PROMPT;
  const prompt = viaStdin ? '-' : request.prompt;
  if (resume) args.push('resume', '--', resume, prompt);
  else args.push('--', prompt);

  const env: Record<string, string> = {};
  if (request.home) {
    env.HOME = request.home;
    env.CODEX_HOME = join(request.home, '.codex');
    // Codex refuses to start when CODEX_HOME does not exist; writing a file creates it.
    files.push({
      path: join(request.home, '.codex', 'config.toml'),
      content: '# Created by orchestrate so that CODEX_HOME exists; settings are passed with -c.\n',
      ifMissing: true,
    });
  }
  Object.assign(env, request.env ?? {});

  return {
    command: request.command ?? 'codex',
    args,
    env,
    cwd: request.cwd,
    ...(viaStdin ? { input: request.prompt } : {}),
    files,
  };
}
