import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

/** Is `dir` inside a git work tree, and does it have a commit? One git process (a session start asks both). */
export async function gitState(dir: string): Promise<{ repo: boolean; hasHead: boolean }> {
  const r = await execa('git', ['rev-parse', '--is-inside-work-tree', '--verify', '-q', 'HEAD'], { cwd: dir, reject: false });
  const repo = r.stdout.split('\n')[0]?.trim() === 'true';
  return { repo, hasHead: repo && r.exitCode === 0 };
}

/**
 * The working tree (tracked and untracked, minus ignored files) as a git tree object,
 * written through a throw-away index so the user's index and HEAD are never touched.
 */
export async function snapshotTree(dir: string, hasHead?: boolean): Promise<string> {
  const tmp = mkdtempSync(join(tmpdir(), 'orch-index-'));
  try {
    const env = { GIT_INDEX_FILE: join(tmp, 'index') };
    const head = hasHead ?? (await execa('git', ['rev-parse', '--verify', '-q', 'HEAD'], { cwd: dir, reject: false })).exitCode === 0;
    // Tracked files stay in the snapshot even where .gitignore now matches them.
    if (head) await execa('git', ['read-tree', 'HEAD'], { cwd: dir, env });
    await execa('git', ['add', '-A', '.'], { cwd: dir, env });
    const tree = await execa('git', ['write-tree'], { cwd: dir, env });
    return tree.stdout.trim();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Unified diff between two tree snapshots. */
export async function diffTrees(dir: string, from: string, to: string): Promise<string> {
  if (from === to) return '';
  const r = await execa('git', ['diff', '--no-color', '--no-ext-diff', from, to], { cwd: dir, reject: false, maxBuffer: 64 * 1024 * 1024 });
  return r.exitCode === 0 ? r.stdout : `(git diff failed: ${r.stderr.trim()})`;
}
