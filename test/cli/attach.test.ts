import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/persistence/sqlite/store.js';
import { applyEntries, initialView } from '../../src/view/index.js';
import { happyRules, runCli, sessionFixture, verdict } from '../helpers/session-fixture.js';

describe('orchestrate attach (no terminal) and the session view of a real run', () => {

  it('prints a finished session as plain lines and exits 0; the view rebuilt from its log matches the run', async () => {
    const f = sessionFixture([{ match: { kind: 'review', cli: 'gemini', promptIncludes: 'architect' }, times: 1, respond: verdict('concern', 'naming') }, ...happyRules()]);
    const run = await runCli(['Add a greeting', '--target', f.target, '--workspace', f.workspace, '--no-dashboard', '--json'], f.env);
    expect(run.code, run.stderr).toBe(0);
    const { sessionId } = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as { sessionId: string };

    const attach = await runCli(['attach', sessionId, '--workspace', f.workspace], f.env);
    expect(attach.code, attach.stderr).toBe(0);
    const lines = attach.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^1 \S+ orchestrate session\.started: started at tier 1/);
    expect(lines.at(-1)).toMatch(/orchestrate session\.state: completed$/);
    expect(attach.stdout).toMatch(/implementer\(claude\) progress\/tool\.call: Write: /);

    const store = new SqliteStore(join(f.workspace, 'orchestrate.db'));
    try {
      const view = applyEntries(initialView(sessionId), store.read(sessionId));
      expect(view).toMatchObject({ phase: 'completed', ended: true, tier: 1, task: 'Add a greeting' });
      expect(view.prompt).toBeUndefined();
      expect(view.plan?.tasks.map((t) => t.id)).toEqual(['t1', 't2']);
      expect(view.workers.map((w) => [w.id, w.agent, w.phase, w.progress])).toEqual([
        ['architect', 'gemini', 'exited', 100],
        ['reviewer:codex', 'codex', 'exited', 100],
        ['reviewer:gemini', 'gemini', 'exited', 100],
        ['implementer', 'claude', 'exited', 100],
      ]);
      expect(view.workers.find((w) => w.id === 'implementer')?.task).toBe('t2: Write a test');
      expect(view.reviews.map((r) => r.action)).toEqual(['LOG_WARNING', 'CONTINUE', 'CONTINUE', 'CONTINUE', 'CONTINUE']);
      expect(view.reviews[0]?.verdicts.find((v) => v.reviewer === 'gemini')).toMatchObject({ verdict: 'concern', summary: 'naming' });
      // Token totals agree with what the session itself counted.
      const summary = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as { tokens: Record<string, { inputTokens: number }> };
      for (const [agent, usage] of Object.entries(summary.tokens)) expect(view.usage[agent]?.inputTokens, agent).toBe(usage.inputTokens);
    } finally {
      store.close();
    }
  }, 120_000);

  it('refuses an unknown session with exit 1', async () => {
    const f = sessionFixture(happyRules());
    await runCli(['Add a greeting', '--target', f.target, '--workspace', f.workspace, '--no-dashboard', '--json'], f.env);
    const r = await runCli(['attach', 'orch_nope', '--workspace', f.workspace], f.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no session "orch_nope"');
  }, 120_000);
});
