import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/persistence/sqlite/store.js';
import { tempDir } from '../helpers/fake-agents.js';
import { runCli } from '../helpers/session-fixture.js';

interface Summary {
  sessionId: string;
  state: string;
  decisions: { action: string; reasons: string[] }[];
}

const demoEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  // No real CLI can be found: the fakes play every role.
  PATH: '/usr/bin:/bin',
  HOME: tempDir('orch-demo-home-'),
  CI: 'true',
  // The demo's repository goes to the run's temp folder (test/global-temp.ts), removed with it.
  TMPDIR: tmpdir(),
  ...extra,
});

describe('orchestrate demo', () => {

  it('runs unattended to completion on the fakes: plan, recovery, one concern, final approval', async () => {
    const workspace = tempDir('orch-demo-ws-');
    const r = await runCli(['demo', '--agents', 'fake', '--no-dashboard', '--json', '--workspace', workspace], demoEnv(), 120_000);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as Summary;
    expect(summary.state).toBe('completed');
    expect(r.stderr).toMatch(/gemini\s+fake agent/);
    expect(r.stderr).toContain('npm install -g @google/gemini-cli@0.61.0');

    const actions = summary.decisions.map((d) => d.action);
    expect(actions).toContain('LOG_WARNING');
    expect(actions.filter((a) => a !== 'CONTINUE' && a !== 'LOG_WARNING')).toEqual([]);

    const target = /repository: (\S+)/.exec(r.stderr)?.[1] ?? '';
    expect(readFileSync(join(target, 'src', 'greet.js'), 'utf8')).toContain('Hello, ${name}!');
    expect(existsSync(join(target, 'test', 'greet.test.js'))).toBe(true);

    const store = new SqliteStore(join(workspace, 'orchestrate.db'));
    try {
      const recoveries = store.recoveries(summary.sessionId);
      expect(recoveries).toContainEqual(
        expect.objectContaining({ agent: 'gemini', kind: 'path_outside_workspace', action: 'relaunch', outcome: 'recovered' }),
      );
    } finally {
      store.close();
    }
  }, 150_000);

  it('with --agents real and no CLI installed, says what to install and starts nothing', async () => {
    const r = await runCli(['demo', '--agents', 'real', '--no-dashboard'], demoEnv());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not installed: gemini, claude, codex');
    expect(r.stderr).toContain('@anthropic-ai/claude-code@2.1.197');
  });
});
