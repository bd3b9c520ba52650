import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { LaunchRequest, LaunchSpec } from '../../src/agents/types.js';
import { chooseSandbox, findBwrap, launchSpecFor, wrapInSandbox } from '../../src/safety/sandbox.js';
import { tempDir } from '../helpers/fake-agents.js';

const bwrap = findBwrap(process.env);

describe('chooseSandbox', () => {
  const withBwrap = { PATH: '/usr/bin:/bin' };
  it('auto uses bubblewrap when it is installed, and runs unconfined (saying why) when not', () => {
    const none = chooseSandbox('auto', { PATH: '/nonexistent' });
    expect(none).toEqual({ ok: true, sandbox: undefined, reason: 'no OS sandbox: bubblewrap (bwrap) is not installed' });
    const mac = chooseSandbox('auto', {}, 'darwin');
    expect(mac.ok && mac.sandbox === undefined && mac.reason).toContain('needs Linux');
    const found = chooseSandbox('auto', withBwrap);
    if (bwrap) expect(found.ok && found.sandbox?.bwrap).toMatch(/bwrap$/);
  });

  it('bwrap is required: missing bubblewrap is an error, not a silent downgrade', () => {
    expect(chooseSandbox('bwrap', { PATH: '/nonexistent' })).toEqual({ ok: false, reason: 'safety.sandbox is "bwrap" but bubblewrap (bwrap) is not installed' });
  });

  it('off, and ORCHESTRATE_SANDBOX overrides the configuration for one run', () => {
    expect(chooseSandbox('off', withBwrap)).toMatchObject({ ok: true, sandbox: undefined });
    expect(chooseSandbox('bwrap', { PATH: '/nonexistent', ORCHESTRATE_SANDBOX: 'off' })).toMatchObject({ ok: true, sandbox: undefined });
  });
});

describe('wrapInSandbox', () => {
  const spec: LaunchSpec = { command: 'claude', args: ['-p', 'x'], env: {}, cwd: '/repo', files: [] };
  it('binds / read-only, the writable paths (parents first) and the cwd; the agent stays in its process group', () => {
    const dir = tempDir('sbx-args-');
    const wrapped = wrapInSandbox({ ...spec, cwd: dir }, { kind: 'bwrap', bwrap: '/usr/bin/bwrap', writable: [join(dir, 'a', 'b'), dir] });
    expect(wrapped.command).toBe('/usr/bin/bwrap');
    expect(wrapped.args.slice(0, 6)).toEqual(['--ro-bind', '/', '/', '--dev', '/dev', '--proc']);
    const binds = wrapped.args.flatMap((a, i) => (a === '--bind' ? [wrapped.args[i + 1]] : []));
    expect(binds).toEqual([dir, join(dir, 'a', 'b')]);
    expect(wrapped.args).not.toContain('--new-session');
    expect(wrapped.args.slice(wrapped.args.indexOf('--'))).toEqual(['--', 'claude', '-p', 'x']);
  });

  it('launchSpecFor opens the request roots, the directories fixes added and the agent HOME', () => {
    const dir = tempDir('sbx-req-');
    const request: LaunchRequest = {
      role: 'implementer',
      mode: 'work',
      prompt: 'p',
      cwd: join(dir, 'repo'),
      workspace: join(dir, 'ws'),
      extraDirs: [join(dir, 'extra')],
      home: join(dir, 'home'),
      fixes: [{ kind: 'add-dir', dirs: [join(dir, 'fixed')] }],
      sandbox: { kind: 'bwrap', bwrap: '/usr/bin/bwrap', writable: [] },
    };
    const wrapped = launchSpecFor({ buildCommand: () => ({ ...spec, cwd: request.cwd }) }, request);
    const binds = wrapped.args.flatMap((a, i) => (a === '--bind' ? [wrapped.args[i + 1]] : []));
    expect(binds).toEqual(expect.arrayContaining([request.cwd, request.workspace, join(dir, 'extra'), join(dir, 'fixed'), join(dir, 'home'), '/tmp']));
  });
});

// The real confinement; CI installs bubblewrap, elsewhere the test says it did not run.
describe.skipIf(!bwrap && process.env.CI !== 'true')('bubblewrap confinement (real)', () => {
  it('the agent writes its allowed roots; everything else is read-only, whatever the agent itself allows', async () => {
    expect(bwrap, 'bubblewrap must be installed in CI (.ci/run installs it)').toBeDefined();
    const root = tempDir('sbx-real-');
    const outsideDir = join('/var/tmp', `orchestrate-sbx-${process.pid}`);
    mkdirSync(outsideDir, { recursive: true });
    try {
      const script = `echo in > ${join(root, 'inside.txt')}; echo out > ${join(outsideDir, 'outside.txt')} 2>/dev/null || echo refused`;
      const wrapped = wrapInSandbox({ command: 'sh', args: ['-c', script], env: {}, cwd: root, files: [] }, { kind: 'bwrap', bwrap: bwrap ?? 'bwrap', writable: [root] });
      const r = await execa(wrapped.command, wrapped.args, { cwd: root, reject: false });
      expect(r.exitCode, String(r.stderr)).toBe(0);
      expect(String(r.stdout).trim()).toBe('refused');
      expect(readFileSync(join(root, 'inside.txt'), 'utf8')).toBe('in\n');
      expect(existsSync(join(outsideDir, 'outside.txt'))).toBe(false);
    } finally {
      rmSync(outsideDir, { recursive: true, force: true });
    }
  });
});
