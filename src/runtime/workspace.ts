import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** --workspace, else ORCHESTRATOR_WORKSPACE, else the XDG data directory. */
export function defaultWorkspace(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ORCHESTRATOR_WORKSPACE) return resolve(env.ORCHESTRATOR_WORKSPACE);
  const data = env.XDG_DATA_HOME ? resolve(env.XDG_DATA_HOME) : join(homedir(), '.local', 'share');
  return join(data, 'orchestrate', 'workspace');
}

/** `orch_20261123_223021_a1b2`: sortable by start time, unique enough per machine. */
export function newSessionId(now: Date = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}_${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `orch_${stamp}_${randomBytes(2).toString('hex')}`;
}

/** Creates `workspace/<session>/` and `reviews/` with owner-only permissions (they hold prompts and diffs). */
export function prepareSessionDir(workspace: string, sessionId: string): string {
  const dir = join(workspace, sessionId);
  mkdirSync(join(dir, 'reviews'), { recursive: true, mode: 0o700 });
  return dir;
}
