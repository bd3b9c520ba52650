import { homedir, tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
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

/** Where Codex keeps its state for this launch. */
export function codexHomeOf(request: LaunchRequest): string {
  return request.env?.CODEX_HOME ?? (request.home ? join(request.home, '.codex') : join(request.env?.HOME ?? homedir(), '.codex'));
}

const inside = (path: string, dir: string): boolean => {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/**
 * Codex's own sandbox where it works: `workspace-write` (the cwd and --add-dir writable, network
 * on for installs) for workers, `read-only` for reviewers. Codex refuses to create its sandbox
 * helper when CODEX_HOME is under the temp directory, and every command then fails
 * (`execvp codex-linux-sandbox`), so such a home gets full bypass; the orchestrator's bubblewrap
 * sandbox still confines it where installed.
 */
export function sandboxArgs(request: LaunchRequest): string[] {
  if (request.mode !== 'work') return ['-s', 'read-only'];
  if (inside(codexHomeOf(request), tmpdir())) return ['--dangerously-bypass-approvals-and-sandbox'];
  return ['-s', 'workspace-write', '-c', 'sandbox_workspace_write.network_access=true'];
}

/**
 * `codex exec --json …  -- <prompt>`, or `codex exec --json … resume -- <id> <prompt>`.
 * Every option goes before `resume`: -s, --add-dir and --output-schema belong to `exec`
 * only, and `exec` still applies them to a resumed thread. `--` keeps a prompt that starts
 * with "-" (or reads "resume") a prompt.
 */
export function buildCommand(request: LaunchRequest): LaunchSpec {
  const resume = request.resumeSessionId;
  const args = ['exec', '--json', ...sandboxArgs(request)];
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
