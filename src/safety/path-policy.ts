import { lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, resolve as resolveLexically } from 'node:path';

/**
 * Where an agent may read and write. Pure apart from file-system reads (lstat, readlink, stat and
 * reading `.git` pointer files): nothing is created, nothing is cached.
 *
 * Paths are resolved the way the kernel does, one component at a time: a symbolic link is
 * replaced by its target before the next component (so `link/..` is the parent of the link's
 * target, not the directory holding the link), and the part of a path that does not exist yet
 * is appended to its nearest existing ancestor. Because a tool may instead normalize `..`
 * lexically before it opens the file, both readings are checked and both must pass.
 * Containment is decided on whole components, so `/srv/app_evil` is not inside `/srv/app`.
 */

export type PathIntent = 'read' | 'write';

export interface PathCheckOptions {
  /** Directories the agent may use; resolved (symlinks too) the same way as the checked path. */
  allowedRoots: string[];
  /** What relative paths are relative to (the agent's working directory). */
  cwd: string;
  intent: PathIntent;
  /** What `~` means; the current user's home by default. */
  home?: string;
}

export type PathCheck = { ok: true; resolved: string } | { ok: false; resolved: string; reason: string };

/** Linux gives up after 40 links (ELOOP); so do we. */
const MAX_LINKS = 40;

class PathPolicyError extends Error {}

interface Resolution {
  path: string;
  /** Symbolic links and `.git` pointer files followed on the way (for the reasons). */
  followed: string[];
  /** The `.git` pointer files among them. */
  gitPointers: string[];
}

export function checkPath(path: string, opts: PathCheckOptions): PathCheck {
  const shown = JSON.stringify(path);
  if (typeof path !== 'string' || path.length === 0) return { ok: false, resolved: '', reason: 'The path is empty.' };
  if (path.includes('\0')) return { ok: false, resolved: path, reason: `The path ${shown} contains a NUL byte.` };
  let candidates: Resolution[];
  let roots: string[];
  try {
    const home = opts.home ?? homedir();
    const expanded = expandHome(path, home);
    const cwd = isAbsolute(opts.cwd) ? opts.cwd : resolveLexically(opts.cwd);
    // Kernel reading: the raw path, `..` applied after each symlink is followed.
    const raw = isAbsolute(expanded) ? expanded : `${cwd}/${expanded}`;
    const physical = resolvePhysical(raw);
    // Tool reading: `..` removed lexically first (path.resolve), then opened.
    const lexical = resolvePhysical(resolveLexically(cwd, expanded));
    candidates = physical.path === lexical.path ? [physical] : [physical, lexical];
    roots = opts.allowedRoots.map((root) => resolvePhysical(resolveLexically(cwd, expandHome(root, home))).path);
  } catch (error) {
    const why = error instanceof PathPolicyError ? error.message : `it could not be resolved (${errorText(error)})`;
    return { ok: false, resolved: path, reason: `The path ${shown} was refused because ${why}.` };
  }
  if (roots.length === 0) {
    return { ok: false, resolved: candidates[0]?.path ?? path, reason: `The path ${shown} was refused because no allowed roots are configured.` };
  }
  for (const candidate of candidates) {
    const refusal = refuse(shown, candidate, roots, opts.intent);
    if (refusal !== null) return { ok: false, resolved: candidate.path, reason: refusal };
  }
  return { ok: true, resolved: candidates[0]?.path ?? path };
}

/** True when `path` is `root` or below it, compared by whole components. Both must be absolute and normalized. */
export function isWithin(path: string, root: string): boolean {
  if (root === '/') return path.startsWith('/');
  return path === root || path.startsWith(`${root}/`);
}

function refuse(shown: string, candidate: Resolution, roots: string[], intent: PathIntent): string | null {
  const resolved = candidate.path;
  const via = candidate.followed.length > 0 ? ` (through ${candidate.followed.join(', ')})` : '';
  if (!roots.some((root) => isWithin(resolved, root))) {
    const verb = intent === 'write' ? 'Writing' : 'Reading';
    return `${verb} ${shown} is not allowed: it resolves to ${resolved}${via}, which is outside the allowed roots (${roots.join(', ')}).`;
  }
  if (intent === 'read') return null;
  return refuseGitWrite(shown, candidate) ?? refuseHardLink(shown, resolved);
}

/** Writes that would let the agent run code through git, or point git somewhere else. */
function refuseGitWrite(shown: string, candidate: Resolution): string | null {
  const resolved = candidate.path;
  const parts = components(resolved);
  const last = parts.at(-1) ?? '';
  if (last.toLowerCase() === '.git') {
    return `Writing ${shown} is not allowed: a .git file or directory decides where git keeps its data and hooks, and rewriting it could point git outside the allowed roots.`;
  }
  for (let i = parts.length - 1; i >= 0; i--) {
    const gitDir = `/${parts.slice(0, i).join('/')}`;
    if (!isGitDir(gitDir, parts[i - 1])) continue;
    const inner = parts.slice(i);
    const pointer = candidate.gitPointers.length > 0 ? ` (reached through the .git file ${candidate.gitPointers.join(', ')})` : '';
    if (inner[0] === 'hooks') {
      return `Writing ${shown} is not allowed: it is inside the git hooks directory ${gitDir}/hooks${pointer}, and git runs those files as programs.`;
    }
    if (inner.length === 1 && inner[0] === 'config') {
      return `Writing ${shown} is not allowed: it is the git configuration ${gitDir}/config${pointer}, which can make git run programs (core.hooksPath, core.fsmonitor, filters, aliases).`;
    }
  }
  return null;
}

/** A directory named `.git`, or one with the layout of a git directory (bare repositories, worktree and module git dirs). */
function isGitDir(dir: string, name: string | undefined): boolean {
  if (name?.toLowerCase() === '.git') return true;
  const isFile = (p: string): boolean => statOrNull(p)?.isFile() === true;
  const isDir = (p: string): boolean => statOrNull(p)?.isDirectory() === true;
  return isFile(`${dir}/HEAD`) && (isDir(`${dir}/objects`) || isFile(`${dir}/commondir`));
}

function refuseHardLink(shown: string, resolved: string): string | null {
  const stats = lstatOrNull(resolved);
  if (stats === null || !stats.isFile() || stats.nlink <= 1) return null;
  return (
    `Writing ${shown} is not allowed: ${resolved} has ${stats.nlink} hard links, and the other names of the same file ` +
    `may be outside the allowed roots (a write changes every name). Delete it and write a new file instead, if that is intended.`
  );
}

/** `~` and `~/x` mean the home directory; `~user` is not supported (refused rather than guessed). */
function expandHome(path: string, home: string): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return `${home}${path.slice(1)}`;
  if (path.startsWith('~')) throw new PathPolicyError(`"~user" paths are not supported`);
  return path;
}

/**
 * Resolves an absolute path the way open(2) would: symlinks are followed component by component
 * (and a `.git` pointer file is followed when a path goes through it, as git does), `..` goes to
 * the parent of what was actually reached, and components that do not exist are kept as they are.
 */
function resolvePhysical(absolute: string): Resolution {
  let parts: string[] = [];
  let pending = components(absolute);
  let links = 0;
  const followed: string[] = [];
  const gitPointers: string[] = [];
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '.') continue;
    if (part === '..') {
      parts.pop();
      continue;
    }
    const here = `/${[...parts, part].join('/')}`;
    const stats = lstatOrMissing(here);
    if (stats === null) {
      parts.push(part);
      continue;
    }
    if (stats.isSymbolicLink()) {
      if (++links > MAX_LINKS) throw new PathPolicyError(`it goes through more than ${MAX_LINKS} symbolic links (a symlink loop at ${here}?)`);
      const target = readlinkSync(here);
      followed.push(`the symbolic link ${here} -> ${target}`);
      if (isAbsolute(target)) parts = [];
      pending = [...components(target), ...pending];
      continue;
    }
    if (part.toLowerCase() === '.git' && stats.isFile() && pending.some((p) => p !== '.')) {
      const gitdir = readGitPointer(here);
      if (gitdir !== null) {
        if (++links > MAX_LINKS) throw new PathPolicyError(`it goes through more than ${MAX_LINKS} links (a .git pointer loop at ${here}?)`);
        followed.push(`the .git file ${here} -> ${gitdir}`);
        gitPointers.push(here);
        if (isAbsolute(gitdir)) parts = [];
        pending = [...components(gitdir), ...pending];
        continue;
      }
    }
    parts.push(part);
  }
  return { path: `/${parts.join('/')}`, followed, gitPointers };
}

/** The `gitdir:` of a `.git` file (worktrees, submodules), or null when the file is not one. */
function readGitPointer(file: string): string | null {
  const text = readFileSync(file, 'utf8');
  const match = /^gitdir:\s*(.+?)\s*$/m.exec(text);
  return match?.[1] ?? null;
}

function components(path: string): string[] {
  return path.split('/').filter((part) => part !== '');
}

/** lstat, with "does not exist" (also: a parent is a file) as null; other errors are real. */
function lstatOrMissing(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new PathPolicyError(`${path} could not be inspected (${errorText(error)})`);
  }
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
