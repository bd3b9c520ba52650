import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffTrees, gitState, snapshotTree } from '../../src/runtime/git.js';
import { tempDir } from '../helpers/fake-agents.js';

const git = (dir: string, ...args: string[]): string => execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });

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

  it('snapshots the working tree (untracked and tracked-but-ignored files too) without touching the index', async () => {
    const dir = tempDir();
    git(dir, 'init', '-q');
    writeFileSync(join(dir, 'kept.log'), 'tracked before it was ignored\n');
    git(dir, 'add', '.');
    git(dir, 'commit', '-qm', 'one');
    writeFileSync(join(dir, '.gitignore'), '*.log\n');
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'new.ts'), 'export {};\n');
    writeFileSync(join(dir, 'ignored.log'), 'never\n');
    const indexBefore = git(dir, 'diff', '--cached', '--name-only');
    const { hasHead } = await gitState(dir);
    const tree = await snapshotTree(dir, hasHead);
    // Without the hint it finds HEAD itself and gets the same tree.
    expect(await snapshotTree(dir)).toBe(tree);
    const files = git(dir, 'ls-tree', '-r', '--name-only', tree).trim().split('\n');
    expect(files.sort()).toEqual(['.gitignore', 'kept.log', 'src/new.ts']);
    expect(git(dir, 'diff', '--cached', '--name-only')).toBe(indexBefore);
    writeFileSync(join(dir, 'src', 'new.ts'), 'export const x = 1;\n');
    expect(await diffTrees(dir, tree, await snapshotTree(dir))).toContain('+export const x = 1;');
  });
});
