import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';
import { PLAN_ONE_TASK, runTaskIn, startOrchestrate, verdict, useRealSessions } from './session-helpers.js';

const sessions = useRealSessions();

describe('orchestrate demo with the real CLIs (tier 1)', () => {
  it('plans, recovers, logs a concern, implements, passes the final review and completes', async () => {
    const workspace = tempDir('e2e-demo-ws-');
    const env = { PATH: process.env.PATH, HOME: tempDir('e2e-demo-home-'), LANG: 'C.UTF-8', CI: 'true', ORCHESTRATE_AGENT_BIN: process.env.ORCHESTRATE_AGENT_BIN };
    const r = await startOrchestrate(['demo', '--agents', 'real', '--no-dashboard', '--json', '--workspace', workspace], env).done;
    expect(r.code, r.stderr.slice(-4000)).toBe(0);
    expect(r.summary?.state).toBe('completed');
    expect(r.summary?.tier).toBe(1);
    for (const cli of ['gemini', 'claude', 'codex']) expect(r.stderr).toMatch(new RegExp(`${cli}\\s+real CLI`));
    expect(r.summary?.decisions.map((d) => d.action)).toContain('LOG_WARNING');

    const target = /repository: (\S+)/.exec(r.stderr)?.[1] ?? '';
    expect(readFileSync(join(target, 'src', 'greet.js'), 'utf8')).toContain('Hello, ${name}!');
    expect(existsSync(join(target, 'test', 'greet.test.js'))).toBe(true);
    const demoDir = join(target, '..');
    const requests = readFileSync(join(demoDir, 'mock-requests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { cli: string });
    expect(new Set(requests.map((q) => q.cli))).toEqual(new Set(['claude', 'codex', 'gemini']));
    const store = join(workspace, 'orchestrate.db');
    expect(existsSync(store)).toBe(true);
  });
});

describe('review verdicts with the real CLIs', () => {
  const planRules = (codex: ReturnType<typeof verdict>, gemini: ReturnType<typeof verdict>) => [
    { match: { kind: 'plan' }, respond: { structured: PLAN_ONE_TASK } },
    { match: { kind: 'review', cli: 'codex' as const }, respond: codex },
    { match: { kind: 'review', cli: 'gemini' as const }, respond: gemini },
  ];

  it('a blocker escalates (exit 3) and nothing is implemented', async () => {
    const session = await sessions.start(planRules(verdict('blocker', 'The plan deletes data.'), verdict('approved')));
    const r = await runTaskIn(session, 'Write hello.txt');
    expect(r.code, r.stderr.slice(-3000)).toBe(3);
    expect(r.summary?.decisions.map((d) => d.action)).toEqual(['STOP_AND_ESCALATE']);
    expect(existsSync(join(session.target, 'hello.txt'))).toBe(false);
  });

  it('two concerns ask the user (exit 4 unattended)', async () => {
    const session = await sessions.start(planRules(verdict('concern', 'unclear scope'), verdict('concern', 'which file?')));
    const r = await runTaskIn(session, 'Write hello.txt');
    expect(r.code, r.stderr.slice(-3000)).toBe(4);
    expect(r.summary?.decisions.map((d) => d.action)).toEqual(['PAUSE_AND_CLARIFY']);
  });
});

describe('tier drop with the real CLIs', () => {
  it('the implementer failing auth (401) drops a tier and the session completes', async () => {
    const session = await sessions.start([
      { match: { kind: 'plan' }, respond: { structured: PLAN_ONE_TASK } },
      { match: { kind: 'implement', cli: 'claude' as const }, respond: { actions: [], error: { status: 401, message: 'invalid x-api-key (mock)' } } },
      { match: { kind: 'implement' }, respond: { actions: [{ shell: 'echo hello > hello.txt' }], text: 'hello.txt written' } },
      { match: { kind: ['review', 'final-review'] }, respond: verdict('approved') },
    ]);
    const r = await runTaskIn(session, 'Write hello.txt');
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.summary?.state).toBe('completed');
    expect(r.summary?.tier).toBeGreaterThan(1);
    expect(readFileSync(join(session.target, 'hello.txt'), 'utf8')).toBe('hello\n');
    const implementers = session.mock.engine.calls.filter((c) => c.header.kind === 'implement').map((c) => c.cli);
    expect(implementers).toContain('claude');
    expect(implementers.at(-1)).not.toBe('claude');
  });
});
