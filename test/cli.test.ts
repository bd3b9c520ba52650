import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist', 'bin', 'cli.js');
const transcripts = join(root, 'test', 'fixtures', 'transcripts');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

describe('orchestrate CLI (built)', () => {
  beforeAll(() => {
  }, 120_000);

  it('prints help with exit 0', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Usage: orchestrate/);
    expect(r.stdout).toMatch(/translate/);
  });

  it('prints the package version', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    const r = run('--version');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('rejects an unknown flag with a clear error and exit code 2', () => {
    const r = run('--frobnicate');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--frobnicate'/);
    expect(r.stderr).toMatch(/orchestrate --help/);
  });

  it('rejects a bad option value with exit code 2', () => {
    const r = run('translate', '--agent', 'cursor');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Allowed choices are claude, codex, gemini, jsonl/);
  });

  it('translates a recorded stream and classifies its failure', () => {
    const r = run('translate', '--agent', 'gemini', join(transcripts, 'gemini', 'outside.stdout.jsonl'));
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.some((l) => (l.payload as { kind?: string } | undefined)?.kind === 'tool.failed')).toBe(true);
    expect(lines.at(-1)).toMatchObject({ classification: { kind: 'path_outside_workspace', action: 'relaunch' } });
  });

  it('is executable as the package bin', () => {
    const r = spawnSync(cli, ['--version'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
  });
});
