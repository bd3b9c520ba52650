import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, sessionFixture } from '../helpers/session-fixture.js';

describe('orchestrate doctor', () => {

  it('shows each agent with its version and the tier, as a table and as JSON', () => {
    const f = sessionFixture([]);
    const table = spawnSync(process.execPath, [CLI, 'doctor', '--target', f.target], { env: f.env, encoding: 'utf8' });
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/claude\s+claude\s+\S+\s+2\.1\.197 \(Claude Code\)\s+ANTHROPIC_API_KEY/);
    expect(table.stdout).toMatch(/tier 1/);
    const json = spawnSync(process.execPath, [CLI, 'doctor', '--json', '--target', f.target], { env: { ...f.env, GEMINI_API_KEY: '' }, encoding: 'utf8' });
    const report = JSON.parse(json.stdout) as { tier: { tier: number; reason: string }; agents: { agent: string; available: boolean }[] };
    expect(report.agents.find((a) => a.agent === 'gemini')?.available).toBe(false);
    expect(report.tier.tier).toBe(4);
  });

  it('reports which safety layers are active', () => {
    const f = sessionFixture([]);
    const table = spawnSync(process.execPath, [CLI, 'doctor', '--target', f.target], { env: { ...f.env, ORCHESTRATE_SANDBOX: 'off' }, encoding: 'utf8' });
    expect(table.stdout).toMatch(/^safety:$/m);
    expect(table.stdout).toMatch(/Claude Code PreToolUse hook\s+on\s+orchestrate guard/);
    expect(table.stdout).toMatch(/Gemini CLI BeforeTool hook\s+on/);
    expect(table.stdout).toMatch(/OS sandbox\s+off\s+OS sandbox off/);
    expect(table.stdout).toMatch(/confirmations\s+on\s+held for your answer/);
    const json = spawnSync(process.execPath, [CLI, 'doctor', '--json', '--target', f.target], { env: f.env, encoding: 'utf8' });
    const report = JSON.parse(json.stdout) as { safety: { layer: string; active: boolean; detail: string }[] };
    expect(report.safety.map((l) => l.layer)).toEqual(expect.arrayContaining(['OS sandbox', 'resource limits', 'Codex sandbox (codex)']));
    // f.env's HOME is a temp dir, where Codex cannot set up its own sandbox: doctor says so.
    const codex = report.safety.find((l) => l.layer === 'Codex sandbox (codex)');
    expect(codex?.active).toBe(false);
    expect(codex?.detail).toContain('temp directory');
  });

  it('exits 1 when no agent can run', () => {
    const f = sessionFixture([]);
    const r = spawnSync(process.execPath, [CLI, 'doctor', '--target', f.target], { env: { ...f.env, PATH: '/usr/bin:/bin' }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/no usable tier/);
  });
});
