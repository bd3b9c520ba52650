import type { LaunchFix, LaunchRequest } from '../types.js';

function sameFix(a: LaunchFix, b: LaunchFix): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The corrected launch: the same request with one more fix (a fix already there is not repeated). */
export function withFix(request: LaunchRequest, fix: LaunchFix): LaunchRequest {
  const fixes = request.fixes ?? [];
  if (fixes.some((f) => sameFix(f, fix))) return request;
  return { ...request, fixes: [...fixes, fix] };
}

export function hasFix(request: LaunchRequest, kind: LaunchFix['kind']): boolean {
  return (request.fixes ?? []).some((f) => f.kind === kind);
}

/** Directories added by fixes of the given kind, in order, without duplicates. */
export function fixDirs(request: LaunchRequest, kind: 'include-directories' | 'add-dir'): string[] {
  const dirs: string[] = [];
  for (const f of request.fixes ?? []) {
    if (f.kind === kind) for (const d of f.dirs) if (!dirs.includes(d)) dirs.push(d);
  }
  return dirs;
}

export function describeFix(fix: LaunchFix): string {
  switch (fix.kind) {
    case 'include-directories':
      return fix.dirs.map((d) => `--include-directories ${d}`).join(' ');
    case 'add-dir':
      return `--add-dir ${fix.dirs.join(' ')}`;
    case 'skip-git-repo-check':
      return '--skip-git-repo-check';
    case 'skip-trust':
      return '--skip-trust';
    case 'is-sandbox-env':
      return 'IS_SANDBOX=1';
  }
}

/**
 * How long an agent CLI lets the guard hook run. Above the guard's wait for a user's
 * confirmation (300 s by default): a hook that times out lets the tool run in both CLIs.
 */
export const GUARD_HOOK_TIMEOUT_S = 600;
