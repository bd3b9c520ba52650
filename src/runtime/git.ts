import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

/** Is `dir` inside a git work tree, and does it have a commit? One git process (a resume asks both). */
export async function gitState(dir: string): Promise<{ repo: boolean; hasHead: boolean }> {
  const r = await execa('git', ['rev-parse', '--is-inside-work-tree', '--verify', '-q', 'HEAD'], { cwd: dir, reject: false });
  const repo = r.stdout.split('\n')[0]?.trim() === 'true';
  return { repo, hasHead: repo && r.exitCode === 0 };
}

// The snapshot's git commands run in one shell: each process this one spawns costs ~15 ms (a
// fork of a large Node process), four of them were a tenth of a session's start. Constant text,
// nothing interpolated: the directory is the cwd, the throw-away index comes in the environment.
// Tracked files stay in the snapshot even where .gitignore now matches them (read-tree HEAD).
const SNAPSHOT = 'if git rev-parse -q --verify HEAD >/dev/null; then echo head; git read-tree HEAD || exit; fi; git add -A . && git write-tree';
const IN_REPO = '[ "$(git rev-parse --is-inside-work-tree 2>/dev/null)" = true ] || exit 0; echo repo; ';

/**
 * Runs `script` with a throw-away index, so the user's index and HEAD are never touched; its
 * output lines, or an error saying what git said.
 */
async function withScratchIndex(dir: string, script: string): Promise<string[]> {
  const tmp = mkdtempSync(join(tmpdir(), 'orch-index-'));
  try {
    const r = await execa('sh', ['-c', script], { cwd: dir, env: { GIT_INDEX_FILE: join(tmp, 'index') }, reject: false });
    if (r.exitCode !== 0) throw new Error(`git snapshot of ${dir} failed (exit ${String(r.exitCode)}): ${r.stderr.trim()}`);
    return r.stdout.split('\n').map((l) => l.trim());
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The working tree (tracked and untracked, minus ignored files) as a git tree object. */
export async function snapshotTree(dir: string): Promise<string> {
  return treeOf(dir, await withScratchIndex(dir, SNAPSHOT));
}

/** write-tree's answer: the script's last line. */
function treeOf(dir: string, lines: string[]): string {
  const tree = lines.at(-1);
  if (!tree) throw new Error(`git snapshot of ${dir}: write-tree printed nothing`);
  return tree;
}

/** A session's start: gitState and, inside a work tree, the snapshot — one process for both. */
export async function gitBaseline(dir: string): Promise<{ repo: boolean; hasHead: boolean; tree?: string }> {
  const lines = await withScratchIndex(dir, IN_REPO + SNAPSHOT);
  if (lines[0] !== 'repo') return { repo: false, hasHead: false };
  return { repo: true, hasHead: lines[1] === 'head', tree: treeOf(dir, lines) };
}

/** Unified diff between two tree snapshots. */
export async function diffTrees(dir: string, from: string, to: string): Promise<string> {
  if (from === to) return '';
  const r = await execa('git', ['diff', '--no-color', '--no-ext-diff', from, to], { cwd: dir, reject: false, maxBuffer: 64 * 1024 * 1024 });
  return r.exitCode === 0 ? r.stdout : `(git diff failed: ${r.stderr.trim()})`;
}
