import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RESUME_PROMPT } from '../../src/actors/agent-process.js';
import type { DemoCli } from '../../src/demo/agents.js';
import { PLAN_ONE_TASK, startOrchestrate, verdict, useRealSessions } from './session-helpers.js';

const sessions = useRealSessions();

const until = async (what: string, check: () => boolean, timeoutMs = 120_000): Promise<void> => {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe.each<DemoCli>(['claude', 'codex', 'gemini'])('resume after SIGKILL of the orchestrator, %s implementing', (cli) => {
  it("continues the agent's own conversation and completes", async () => {
    const session = await sessions.start(
      [
        { match: { kind: 'plan' }, respond: { structured: PLAN_ONE_TASK } },
        {
          match: { kind: 'implement' },
          respond: { delayMs: 400, actions: [{ shell: 'echo one > one.txt' }, { shell: 'echo two > two.txt' }], text: 'both files written' },
        },
        { match: { kind: ['review', 'final-review'] }, respond: verdict('approved') },
      ],
      { roles: { implementer: cli, ...(cli === 'gemini' ? { architect: 'claude' } : {}), ...(cli === 'codex' ? { reviewer: 'claude' } : {}) } },
    );
    const s = session;
    const first = startOrchestrate(['Write two files', '--no-dashboard', '--json', '--target', s.target, '--workspace', s.workspace, '--config', s.configPath], s.env);
    // Killed once the implementer has run its first command and asked the model for the next step.
    await until('the first command', () => existsSync(join(s.target, 'one.txt')) && s.mock.engine.calls.some((c) => c.cli === cli && c.header.kind === 'implement' && c.actionTurns >= 1));
    const killedAt = s.mock.engine.calls.length;
    first.child.kill('SIGKILL');
    const dead = await first.done;
    const sessionId = /session (orch_\S+)/.exec(dead.stdout + dead.stderr)?.[1];
    expect(sessionId, dead.stderr).toBeDefined();

    const resumed = await startOrchestrate(['resume', sessionId ?? '', '--json', '--workspace', s.workspace], s.env).done;
    expect(resumed.code, resumed.stderr.slice(-3000)).toBe(0);
    expect(resumed.summary?.state).toBe('completed');
    expect(readFileSync(join(s.target, 'two.txt'), 'utf8')).toBe('two\n');

    // The relaunched CLI sent its earlier conversation back: the resume prompt and the first command are both in one request.
    const log = readFileSync(join(s.dir, 'requests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { cli: string; body: unknown; calls: { header: Record<string, string> }[] });
    const after = log.filter((q) => q.cli === cli && q.calls.some((c) => c.header.kind === 'implement')).map((q) => JSON.stringify(q.body));
    const continued = after.filter((b) => b.includes(RESUME_PROMPT.slice(0, 40)) && b.includes('echo one > one.txt'));
    expect(continued.length, `requests after the kill (${s.mock.engine.calls.length - killedAt} calls)`).toBeGreaterThan(0);
  });
});
