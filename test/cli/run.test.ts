import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/persistence/sqlite/store.js';
import { envelopeOf } from '../../src/protocol/envelope.js';
import { readLaunches } from '../helpers/fake-agents.js';
import { happyRules, PLAN, ROOT, runCli, sessionFixture, verdict, type Fixture, type Rule } from '../helpers/session-fixture.js';

interface Summary {
  sessionId: string;
  state: string;
  tier: number;
  workspace: string;
  decisions: { reviewId: string; action: string; inputs: { reviewer: string; verdict: string }[] }[];
  tokens: Record<string, { inputTokens: number; outputTokens: number }>;
  escalation?: { reason: string; suggestions: string[] };
  question?: string;
}

async function run(f: Fixture, ...extra: string[]): Promise<{ code: number | null; summary: Summary; stderr: string }> {
  const r = await runCli(['Add a greeting', '--target', f.target, '--workspace', f.workspace, '--no-dashboard', '--json', ...extra], f.env);
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  let summary: Summary;
  try {
    summary = JSON.parse(last) as Summary;
  } catch {
    throw new Error(`no JSON summary (exit ${String(r.code)}):\n${r.stdout}\n${r.stderr}`);
  }
  return { code: r.code, summary, stderr: r.stderr };
}

const planReview = (v: Parameters<typeof verdict>[0], reviewer: string): Rule => ({ match: { kind: 'review', cli: reviewer, promptIncludes: 'architect' }, respond: verdict(v) });

describe('orchestrate "task" with fake agents (real processes)', () => {

  it('plans, implements each task, reviews milestones, passes the final review and exits 0', async () => {
    const f = sessionFixture(happyRules());
    const { code, summary, stderr } = await run(f);
    expect(code, stderr).toBe(0);
    expect(summary.state).toBe('completed');
    expect(summary.tier).toBe(1);
    // plan review, the milestone reported mid-task, two task reviews, the final review
    expect(summary.decisions.map((d) => d.action)).toEqual(['CONTINUE', 'CONTINUE', 'CONTINUE', 'CONTINUE', 'CONTINUE']);
    expect(summary.decisions.at(-1)?.inputs.map((i) => i.reviewer)).toEqual(['codex']);
    expect(readFileSync(join(f.target, 'greet.js'), 'utf8')).toContain('greet');
    expect(existsSync(join(f.target, 'greet.test.js'))).toBe(true);
    const dir = summary.workspace;
    expect(JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8'))).toEqual(PLAN);
    // Each agent's copy is its committed log entries, as the envelopes clients get, in seq order.
    const store = new SqliteStore(join(f.workspace, 'orchestrate.db'), { readonly: true });
    const logged = store.read(summary.sessionId);
    store.close();
    for (const agent of ['gemini', 'claude', 'codex']) {
      const copy = readFileSync(join(dir, `${agent}.jsonl`), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as unknown);
      const entries = logged.filter((e) => e.agent === agent);
      expect(entries.length, agent).toBeGreaterThan(0);
      expect(copy, agent).toEqual(entries.map((e) => JSON.parse(JSON.stringify(envelopeOf(e))) as unknown));
    }
    const reviews = readdirSync(join(dir, 'reviews'));
    expect(reviews).toHaveLength(5);
    const first = reviews.sort()[0] ?? '';
    expect(readdirSync(join(dir, 'reviews', first)).sort()).toEqual(['codex.answer.txt', 'codex.review.json', 'decision.json', 'gemini.answer.txt', 'gemini.review.json', 'request.md']);
    // The last task review sees the diff of the second task.
    const request = readFileSync(join(dir, 'reviews', 'review-4', 'request.md'), 'utf8');
    expect(request).toMatch(/greet\.test\.js/);
    const log = readFileSync(join(dir, 'orchestrator.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
    expect(log.some((l) => l.msg === 'decision')).toBe(true);
    expect(summary.tokens.claude?.inputTokens).toBeGreaterThan(0);
    expect(summary.tokens.codex?.inputTokens).toBeGreaterThan(0);
    // Implementer prompts carry their task, in dependency order.
    const implementLaunches = readLaunches(f.argvFile).filter((l) => l.argv.join(' ').includes('kind=implement'));
    expect(implementLaunches.map((l) => /task=(\w+)/.exec(l.argv.join(' '))?.[1])).toEqual(['t1', 't2']);
  });

  it('a blocker verdict ends in escalated with exit code 3', async () => {
    const f = sessionFixture([planReview('blocker', 'codex'), ...happyRules()]);
    const { code, summary } = await run(f);
    expect(code).toBe(3);
    expect(summary.state).toBe('escalated');
    expect(summary.decisions[0]?.action).toBe('STOP_AND_ESCALATE');
    expect(summary.escalation?.reason).toMatch(/blocker/);
  });

  it('two concerns pause for a clarification; unattended, that is exit code 4', async () => {
    const f = sessionFixture([planReview('concern', 'codex'), planReview('concern', 'gemini'), ...happyRules()]);
    const { code, summary } = await run(f);
    expect(code).toBe(4);
    expect(summary.state).toBe('awaitingClarification');
    expect(summary.decisions[0]?.action).toBe('PAUSE_AND_CLARIFY');
    expect(summary.question).toMatch(/2 concerns/);
  });

  it('one concern logs a warning and the session goes on', async () => {
    const f = sessionFixture([planReview('concern', 'gemini'), ...happyRules()]);
    const { code, summary } = await run(f);
    expect(code).toBe(0);
    expect(summary.decisions[0]?.action).toBe('LOG_WARNING');
  });

  it('a bad configuration names the field, starts nothing and exits 2', async () => {
    const f = sessionFixture(happyRules(), { config: { review: { silenceMinutes: 'soon' } } });
    const r = await runCli(['task', '--target', f.target, '--workspace', f.workspace], f.env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/orchestrate\.config\.json: review\.silenceMinutes: .*number/);
    expect(existsSync(f.workspace)).toBe(false);
  });
});

describe('recovery scenarios end to end (fake agents printing the real error strings)', () => {

  it('Gemini path outside the workspace → relaunched with --include-directories → completes', async () => {
    const f = sessionFixture([
      { match: { kind: 'plan' }, times: 1, respond: { actions: [{ fail: { kind: 'path_outside_workspace', path: '/var/tmp/orch-outside/notes.md' } }], text: 'could not write' } },
      ...happyRules(),
    ]);
    const { code, summary } = await run(f);
    expect(code).toBe(0);
    const gemini = readLaunches(f.argvFile).filter((l) => l.cli === 'gemini' && l.argv.join(' ').includes('kind=plan'));
    expect(gemini).toHaveLength(2);
    expect(gemini[0]?.argv).not.toContain('/var/tmp/orch-outside');
    const second = gemini[1]?.argv ?? [];
    expect(second[second.indexOf('/var/tmp/orch-outside') - 1]).toBe('--include-directories');
    const log = readFileSync(join(summary.workspace, 'orchestrator.log'), 'utf8');
    expect(log).toMatch(/"phase":"started".*path_outside_workspace/);
    expect(log).toMatch(/"phase":"ended".*"outcome":"recovered"/);
  });

  it('Codex untrusted directory → relaunched with --skip-git-repo-check → completes', async () => {
    const f = sessionFixture(
      [
        {
          match: { kind: 'implement', task: 't1', cli: 'codex' },
          times: 1,
          respond: { raw: { stdout: '', stderr: 'Not inside a trusted directory and --skip-git-repo-check was not specified.\n', exitCode: 1 } },
        },
        ...happyRules(),
      ],
      { config: { roles: { implementer: 'codex', reviewer: 'claude' } } },
    );
    const { code } = await run(f);
    expect(code).toBe(0);
    const codex = readLaunches(f.argvFile).filter((l) => l.cli === 'codex' && l.argv.join(' ').includes('task=t1'));
    expect(codex).toHaveLength(2);
    expect(codex[0]?.argv).not.toContain('--skip-git-repo-check');
    expect(codex[1]?.argv).toContain('--skip-git-repo-check');
  });

  it('a generic "Permission denied" pauses the session and escalates with suggestions (exit 3)', async () => {
    const f = sessionFixture([
      { match: { kind: 'implement', task: 't1' }, respond: { actions: [{ fail: { kind: 'permission_denied', path: './deploy.sh' } }], text: 'blocked', delayMs: 50 } },
      ...happyRules(),
    ]);
    const { code, summary } = await run(f);
    expect(code).toBe(3);
    expect(summary.state).toBe('escalated');
    expect(summary.escalation?.reason).toMatch(/permission_denied.*Permission denied/);
    expect(summary.escalation?.suggestions.join('\n')).toMatch(/ls -la/);
  });

  it('an agent failing auth mid-session moves the session down a tier and it completes', async () => {
    const error401 = readFileSync(join(ROOT, 'test', 'fixtures', 'transcripts', 'claude', 'error401.stdout.jsonl'), 'utf8');
    const f = sessionFixture([
      { match: { kind: 'implement', cli: 'claude' }, respond: { raw: { stdout: error401, stderr: '', exitCode: 1 } } },
      ...happyRules(),
    ]);
    const { code, summary } = await run(f);
    expect(code).toBe(0);
    expect(summary.state).toBe('completed');
    expect(summary.tier).toBe(3);
    const implementers = readLaunches(f.argvFile).filter((l) => l.argv.join(' ').includes('kind=implement'));
    expect(implementers.map((l) => l.cli)).toEqual(['claude', 'codex', 'codex']);
    // The new implementer starts its own conversation; it must not try to resume Claude's.
    expect(implementers.filter((l) => l.cli === 'codex').map((l) => l.argv.includes('resume'))).toEqual([false, false]);
    const log = readFileSync(join(summary.workspace, 'orchestrator.log'), 'utf8');
    expect(log).toMatch(/"msg":"tier changed"/);
  });
});
