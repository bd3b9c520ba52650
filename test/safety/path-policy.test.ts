import { linkSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPath, isWithin } from '../../src/safety/path-policy.js';

// Layout (all under one temp dir, realpath'd because /tmp may itself be a symlink):
//   app/            the allowed root        app_evil/   a sibling with the root as prefix
//   outside/        not allowed             home/       a fake home (inside app? no: separate)
let base: string;
let app: string;
let outside: string;
let home: string;

function write(path: string, text = 'x'): string {
  writeFileSync(path, text);
  return path;
}

beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'path-policy-')));
  app = join(base, 'app');
  outside = join(base, 'outside');
  home = join(base, 'home');
  for (const dir of [app, outside, home, join(base, 'app_evil'), join(app, 'src'), join(app, 'repo', '.git', 'hooks'), join(home, 'proj')]) {
    mkdirSync(dir, { recursive: true });
  }
  write(join(app, 'src', 'index.ts'));
  write(join(outside, 'secret.txt'));
  write(join(base, 'app_evil', 'x.txt'));
  symlinkSync(outside, join(app, 'out-dir')); // a directory symlink pointing out
  symlinkSync(join(outside, 'secret.txt'), join(app, 'out-file')); // a file symlink pointing out
  symlinkSync(join(app, 'loop-b'), join(app, 'loop-a')); // a loop
  symlinkSync(join(app, 'loop-a'), join(app, 'loop-b'));
  symlinkSync(join(app, 'src'), join(app, 'src-link')); // a symlink that stays inside
  mkdirSync(join(app, 'a', 'b', 'c'), { recursive: true });
  symlinkSync(join(app, 'a', 'b', 'c'), join(app, 'deep-link'));
  write(join(outside, 'victim.txt'), 'precious');
  linkSync(join(outside, 'victim.txt'), join(app, 'hardlink.txt')); // a hard link to a file outside
  write(join(app, 'repo', '.git', 'HEAD'), 'ref: refs/heads/main\n');
  write(join(app, 'repo', '.git', 'config'), '[core]\n');
  // A linked worktree whose .git file points outside the roots.
  mkdirSync(join(outside, 'main.git', 'hooks'), { recursive: true });
  mkdirSync(join(app, 'wt'));
  write(join(app, 'wt', '.git'), `gitdir: ${join(outside, 'main.git')}\n`);
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

const read = (path: string, cwd = app) => checkPath(path, { allowedRoots: [app], cwd, intent: 'read', home });
const write_ = (path: string, cwd = app) => checkPath(path, { allowedRoots: [app], cwd, intent: 'write', home });

describe('checkPath', () => {
  it('allows reads and writes inside the root', () => {
    expect(read(join(app, 'src', 'index.ts'))).toEqual({ ok: true, resolved: join(app, 'src', 'index.ts') });
    expect(write_(join(app, 'src', 'index.ts'))).toMatchObject({ ok: true });
  });

  it('refuses reads outside the root with a sentence that names the resolved path and the roots', () => {
    const r = read(join(outside, 'secret.txt'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toMatch(/^Reading ".*secret\.txt" is not allowed: it resolves to .*secret\.txt, which is outside the allowed roots \(.*app\)\.$/);
  });

  it('compares by components: a sibling with the root as a prefix is outside', () => {
    expect(read(join(base, 'app_evil', 'x.txt')).ok).toBe(false);
    expect(write_(join(base, 'app_evil', 'new.txt')).ok).toBe(false);
    expect(isWithin('/srv/app_evil', '/srv/app')).toBe(false);
    expect(isWithin('/srv/app/x', '/srv/app')).toBe(true);
    expect(isWithin('/srv/app', '/srv/app')).toBe(true);
  });

  it('resolves .. (lexically and physically)', () => {
    expect(read(join(app, 'src', '..', '..', 'outside', 'secret.txt')).ok).toBe(false);
    expect(read('../outside/secret.txt').ok).toBe(false);
    expect(read(join(app, 'src', '..', 'src', 'index.ts')).ok).toBe(true);
    // Physically `out-dir/..` is the parent of the link's target (base): outside, although the
    // lexical reading (app/outside/secret.txt) would be inside.
    expect(read(`${app}/out-dir/../outside/secret.txt`)).toMatchObject({ ok: false, resolved: join(outside, 'secret.txt') });
    // Physically inside (deep-link/.. is app/a/b), lexically outside (base/x): refused, both must pass.
    expect(read(`${app}/deep-link/../../x`)).toMatchObject({ ok: false, resolved: join(base, 'x') });
  });

  it('follows a directory symlink that points out', () => {
    const r = write_(join(app, 'out-dir', 'secret.txt'));
    expect(r).toMatchObject({ ok: false, resolved: join(outside, 'secret.txt') });
    if (!r.ok) expect(r.reason).toMatch(/through the symbolic link .*out-dir ->/);
  });

  it('follows a file symlink that points out', () => {
    expect(read(join(app, 'out-file'))).toMatchObject({ ok: false, resolved: join(outside, 'secret.txt') });
    expect(write_(join(app, 'out-file')).ok).toBe(false);
  });

  it('allows a symlink that stays inside', () => {
    expect(read(join(app, 'src-link', 'index.ts'))).toEqual({ ok: true, resolved: join(app, 'src', 'index.ts') });
  });

  it('refuses a symlink loop with a reason instead of hanging or throwing', () => {
    const r = read(join(app, 'loop-a', 'x'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/more than 40 symbolic links/);
  });

  it('expands ~ to the home directory', () => {
    expect(read('~/proj/x')).toMatchObject({ ok: false, resolved: join(home, 'proj', 'x') });
    const inHome = checkPath('~/proj/x', { allowedRoots: ['~/proj'], cwd: app, intent: 'write', home });
    expect(inHome).toEqual({ ok: true, resolved: join(home, 'proj', 'x') });
    expect(read('~root/x').ok).toBe(false);
  });

  it('resolves relative paths against the real cwd', () => {
    expect(read('index.ts', join(app, 'src'))).toEqual({ ok: true, resolved: join(app, 'src', 'index.ts') });
    // The cwd is a symlink pointing out: a relative path is outside too.
    expect(read('secret.txt', join(app, 'out-dir')).ok).toBe(false);
    expect(read('x.txt', join(base, 'app_evil')).ok).toBe(false);
  });

  it('refuses writing to a file with another hard link (the other name may be outside)', () => {
    const r = write_(join(app, 'hardlink.txt'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/has 2 hard links/);
    expect(read(join(app, 'hardlink.txt')).ok).toBe(true);
  });

  it('refuses writes into .git/hooks and to .git/config, allows reading them', () => {
    const hook = write_(join(app, 'repo', '.git', 'hooks', 'pre-commit'));
    expect(hook.ok).toBe(false);
    if (!hook.ok) expect(hook.reason).toMatch(/git hooks directory .*git runs those files as programs/);
    const config = write_(join(app, 'repo', '.git', 'config'));
    expect(config.ok).toBe(false);
    if (!config.ok) expect(config.reason).toMatch(/git configuration/);
    expect(write_(join(app, 'repo', '.git', 'hooks')).ok).toBe(false);
    expect(read(join(app, 'repo', '.git', 'config')).ok).toBe(true);
    expect(write_(join(app, 'repo', 'README.md')).ok).toBe(true);
  });

  it('follows a .git pointer file: its git dir is outside, so writes through it are refused', () => {
    const r = write_(join(app, 'wt', '.git', 'hooks', 'pre-commit'));
    expect(r).toMatchObject({ ok: false, resolved: join(outside, 'main.git', 'hooks', 'pre-commit') });
    if (!r.ok) expect(r.reason).toMatch(/through the \.git file .*wt\/\.git ->/);
    // Rewriting the pointer itself would redirect git.
    expect(write_(join(app, 'wt', '.git')).ok).toBe(false);
    // Ordinary files of the worktree are fine.
    expect(write_(join(app, 'wt', 'main.c')).ok).toBe(true);
  });

  it('allows a file that does not exist yet under the root, refuses one under a symlinked dir pointing out', () => {
    expect(write_(join(app, 'new', 'deep', 'file.ts'))).toEqual({ ok: true, resolved: join(app, 'new', 'deep', 'file.ts') });
    expect(write_(join(app, 'out-dir', 'new', 'file.ts'))).toMatchObject({ ok: false, resolved: join(outside, 'new', 'file.ts') });
  });

  it('refuses everything when no roots are configured, and empty paths', () => {
    expect(checkPath(join(app, 'x'), { allowedRoots: [], cwd: app, intent: 'read' }).ok).toBe(false);
    expect(read('').ok).toBe(false);
  });
});
