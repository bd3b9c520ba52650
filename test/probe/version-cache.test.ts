import { chmodSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentConfig } from '../../src/config/schema.js';
import { probeAgent } from '../../src/probe/probe.js';
import { VersionCache } from '../../src/probe/version-cache.js';
import { tempDir } from '../helpers/fake-agents.js';

const claude: AgentConfig = { adapter: 'claude', args: [], env: {} };

/** A fake `claude` that counts how often it was asked for its version. */
function countingCli(version = '2.1.197 (Claude Code)'): { bin: string; calls: () => number } {
  const bin = tempDir('orch-vc-bin-');
  const log = join(bin, 'calls');
  writeFileSync(log, '');
  writeFileSync(join(bin, 'claude'), `#!/bin/sh\necho x >> ${log}\necho "${version}"\n`);
  chmodSync(join(bin, 'claude'), 0o755);
  return { bin, calls: () => readFileSync(log, 'utf8').split('\n').filter(Boolean).length };
}

describe('the --version cache', () => {
  it('asks an unchanged CLI once, and again once it was reinstalled', async () => {
    const cli = countingCli();
    const env = { PATH: cli.bin, HOME: tempDir(), ANTHROPIC_API_KEY: 'k' };
    const first = await probeAgent('claude', claude, env);
    const second = await probeAgent('claude', claude, env);
    expect(cli.calls()).toBe(1);
    expect(second).toEqual(first);
    expect(second.version).toBe('2.1.197 (Claude Code)');
    // An upgrade rewrites the file: its size/mtime/ctime change, so it is asked again.
    writeFileSync(join(cli.bin, 'claude'), readFileSync(join(cli.bin, 'claude'), 'utf8').replace('2.1.197', '2.2.0'));
    utimesSync(join(cli.bin, 'claude'), new Date(), new Date(Date.now() + 5000));
    expect((await probeAgent('claude', claude, env)).version).toBe('2.2.0 (Claude Code)');
    expect(cli.calls()).toBe(2);
  });

  it('is not used when turned off (doctor, ORCHESTRATE_PROBE_CACHE=0), and keeps no secret', async () => {
    const cli = countingCli();
    const home = tempDir();
    const env = { PATH: cli.bin, HOME: home, ANTHROPIC_API_KEY: 'k' };
    await probeAgent('claude', claude, env, { versionCache: false });
    await probeAgent('claude', claude, { ...env, ORCHESTRATE_PROBE_CACHE: '0' });
    expect(cli.calls()).toBe(2);
    const withKey: AgentConfig = { ...claude, env: { ANTHROPIC_API_KEY: 'sk-secret-value' } };
    await probeAgent('claude', withKey, env);
    await probeAgent('claude', withKey, env);
    expect(cli.calls()).toBe(3);
    expect(readFileSync(join(home, '.cache', 'orchestrate', 'versions.json'), 'utf8')).not.toContain('sk-secret-value');
  });

  it('keeps answers per agent environment, expires them, and survives a damaged file', () => {
    const cli = countingCli();
    const home = tempDir();
    const cache = new VersionCache({ HOME: home });
    const path = join(cli.bin, 'claude');
    cache.set(path, {}, 'v1', 1000);
    cache.set(path, { FAKE: '1' }, 'v2', 1000);
    expect(cache.get(path, {}, 2000)).toBe('v1');
    expect(cache.get(path, { FAKE: '1' }, 2000)).toBe('v2');
    expect(cache.get(path, {}, 1000 + 25 * 3600_000)).toBeUndefined();
    writeFileSync(join(home, '.cache', 'orchestrate', 'versions.json'), '{not json');
    expect(cache.get(path, {}, 2000)).toBeUndefined();
    cache.set(path, {}, 'v3', 3000);
    expect(cache.get(path, {}, 3000)).toBe('v3');
  });
});
