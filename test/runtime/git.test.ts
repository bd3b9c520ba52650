import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffTrees, gitBaseline, gitState, snapshotTree } from '../../src/runtime/git.js';
import { tempDir } from '../helpers/fake-agents.js';

const git = (dir: string, ...args: string[]): string => execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });

/** A repository whose one commit holds `file` with `text`. */
function committedRepo(file: string, text: string): string {
  const dir = tempDir();
  git(dir, 'init', '-q');
  writeFileSync(join(dir, file), text);
  git(dir, 'add', '.');
  git(dir, 'commit', '-qm', 'one');
  return dir;
}

describe('git snapshots', () => {
  it('tells a repository with commits, one without, and a plain folder apart', async () => {
    const plain = tempDir();
    expect(await gitState(plain)).toEqual({ repo: false, hasHead: false });
    const fresh = tempDir();
    git(fresh, 'init', '-q');
    expect(await gitState(fresh)).toEqual({ repo: true, hasHead: false });
    writeFileSync(join(fresh, 'a.txt'), 'a\n');
    git(fresh, 'add', '.');
    git(fresh, 'commit', '-qm', 'one');
    expect(await gitState(fresh)).toEqual({ repo: true, hasHead: true });
  });

  it('tells them apart at a session start too, with the snapshot in the same process', async () => {
    const plain = tempDir();
    expect(await gitBaseline(plain)).toEqual({ repo: false, hasHead: false });
    const fresh = tempDir();
    git(fresh, 'init', '-q');
    writeFileSync(join(fresh, 'a.txt'), 'a\n');
    const first = await gitBaseline(fresh);
    expect(first).toMatchObject({ repo: true, hasHead: false });
    expect(git(fresh, 'ls-tree', '-r', '--name-only', first.tree ?? '').trim()).toBe('a.txt');
    git(fresh, 'add', '.');
    git(fresh, 'commit', '-qm', 'one');
    expect(await gitBaseline(fresh)).toEqual({ repo: true, hasHead: true, tree: first.tree });
    expect(await snapshotTree(fresh)).toBe(first.tree);
  });

  it('says what git said when a snapshot fails, and leaves no scratch index behind', async () => {
    const dir = committedRepo('a.txt', 'a\n');
    // HEAD's tree object gone (a damaged repository): read-tree HEAD fails.
    const tree = git(dir, 'rev-parse', 'HEAD^{tree}').trim();
    rmSync(join(dir, '.git', 'objects', tree.slice(0, 2), tree.slice(2)));
    // A temp folder of its own: other test files running beside this one make scratch indexes too.
    const tmp = tempDir('orch-tmp-');
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      expect(tmpdir()).toBe(tmp);
      await expect(snapshotTree(dir)).rejects.toThrow(/git snapshot of .* failed \(exit 128\): fatal: failed to unpack tree object HEAD/);
      await expect(gitBaseline(dir)).rejects.toThrow(/git snapshot of .* failed/);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('snapshots the working tree (untracked and tracked-but-ignored files too) without touching the index', async () => {
    const dir = committedRepo('kept.log', 'tracked before it was ignored\n');
    writeFileSync(join(dir, '.gitignore'), '*.log\n');
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'new.ts'), 'export {};\n');
    writeFileSync(join(dir, 'ignored.log'), 'never\n');
    const indexBefore = git(dir, 'diff', '--cached', '--name-only');
    const tree = await snapshotTree(dir);
    expect((await gitBaseline(dir)).tree).toBe(tree);
    const files = git(dir, 'ls-tree', '-r', '--name-only', tree).trim().split('\n');
    expect(files.sort()).toEqual(['.gitignore', 'kept.log', 'src/new.ts']);
    expect(git(dir, 'diff', '--cached', '--name-only')).toBe(indexBefore);
    writeFileSync(join(dir, 'src', 'new.ts'), 'export const x = 1;\n');
    expect(await diffTrees(dir, tree, await snapshotTree(dir))).toContain('+export const x = 1;');
  });
});
