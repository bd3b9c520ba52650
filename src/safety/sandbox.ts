import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fixDirs } from '../agents/common/fixes.js';
import type { AgentAdapter, LaunchRequest, LaunchSpec } from '../agents/types.js';

export type SandboxMode = 'auto' | 'bwrap' | 'off';

/** How an agent process is confined: bubblewrap with only these paths writable. */
export interface SandboxSpec {
  kind: 'bwrap';
  bwrap: string;
  /** Writable inside the sandbox; everything else is read-only. */
  writable: string[];
}

export type SandboxChoice = { ok: true; sandbox: SandboxSpec | undefined; reason: string } | { ok: false; reason: string };

export function findBwrap(env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const path = join(dir, 'bwrap');
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // Not in this PATH entry.
    }
  }
  return undefined;
}

/**
 * Which sandbox a session uses. `ORCHESTRATE_SANDBOX` overrides the config for one run; `bwrap`
 * (required) fails when bubblewrap is missing instead of running the agents unconfined.
 */
export function chooseSandbox(configured: SandboxMode, env: NodeJS.ProcessEnv, platform = process.platform): SandboxChoice {
  const fromEnv = env.ORCHESTRATE_SANDBOX;
  const mode: SandboxMode = fromEnv === 'off' || fromEnv === 'bwrap' || fromEnv === 'auto' ? fromEnv : configured;
  if (mode === 'off') return { ok: true, sandbox: undefined, reason: 'OS sandbox off (safety.sandbox or ORCHESTRATE_SANDBOX)' };
  const bwrap = platform === 'linux' ? findBwrap(env) : undefined;
  if (!bwrap) {
    const why = platform === 'linux' ? 'bubblewrap (bwrap) is not installed' : `bubblewrap needs Linux (this is ${platform})`;
    if (mode === 'bwrap') return { ok: false, reason: `safety.sandbox is "bwrap" but ${why}` };
    return { ok: true, sandbox: undefined, reason: `no OS sandbox: ${why}` };
  }
  return { ok: true, sandbox: { kind: 'bwrap', bwrap, writable: [] }, reason: `bubblewrap sandbox (${bwrap})` };
}

/**
 * Paths an agent must be able to write besides the allowed roots: its HOME (CLI state, sessions,
 * settings) and /tmp. With an orchestrator-owned HOME only that is opened; otherwise the user's
 * HOME has to be, because the CLIs keep their state in several places under it.
 */
export function agentWritable(request: { home?: string | undefined; env?: Record<string, string> | undefined }, env: NodeJS.ProcessEnv): string[] {
  const home = request.home ?? request.env?.HOME ?? env.HOME ?? homedir();
  return [home, '/tmp'];
}

/** The launch wrapped in bubblewrap: the whole system read-only, the given paths writable. */
export function wrapInSandbox(spec: LaunchSpec, sandbox: SandboxSpec): LaunchSpec {
  const args = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc'];
  // Parents first: a later bind of a parent would cover the mounts made below it.
  const paths = [...new Set([...sandbox.writable, spec.cwd])].sort((a, b) => a.length - b.length);
  for (const path of paths) {
    // A bind needs an existing source; the launcher prepares these directories anyway.
    if (!existsSync(path)) mkdirSync(path, { recursive: true });
    args.push('--bind', path, path);
  }
  // The agent dies with the orchestrator instead of running on unsupervised; the pid namespace
  // takes every descendant with it. No --new-session: the agent stays in its process group,
  // which is how the orchestrator signals and measures it.
  args.push('--die-with-parent', '--unshare-pid', '--chdir', spec.cwd, '--', spec.command, ...spec.args);
  return { ...spec, command: sandbox.bwrap, args };
}

/** The adapter's launch, wrapped in the request's sandbox when it has one. */
export function launchSpecFor(adapter: Pick<AgentAdapter, 'buildCommand'>, request: LaunchRequest, env: NodeJS.ProcessEnv = process.env): LaunchSpec {
  const spec = adapter.buildCommand(request);
  if (!request.sandbox) return spec;
  const writable = [
    ...request.sandbox.writable,
    request.cwd,
    request.workspace,
    ...request.extraDirs,
    ...fixDirs(request, 'include-directories'),
    ...fixDirs(request, 'add-dir'),
    ...agentWritable(request, env),
  ];
  return wrapInSandbox(spec, { ...request.sandbox, writable });
}
