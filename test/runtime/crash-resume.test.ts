import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { readLaunches } from '../helpers/fake-agents.js';
import { happyRules, runCli, sessionFixture, type Fixture, type Rule } from '../helpers/session-fixture.js';
import { missingReadLines, readLog, startOrchestrator, waitUntil, type Row } from './crash-helpers.js';

/** A session with something at every stage: a recovery while planning, streams, milestones, reviews. */
function rules(): Rule[] {
  const slow = (r: Rule): Rule => ({ ...r, respond: { delayMs: 15, ...r.respond } });
  return [
    { match: { kind: 'plan' }, times: 1, respond: { actions: [{ fail: { kind: 'path_outside_workspace', path: '/var/tmp/orch-crash/notes.md' } }], text: 'could not write' } },
    ...happyRules().map(slow),
  ];
}

const args = (f: Fixture): string[] => ['Add a greeting', '--target', f.target, '--workspace', f.workspace, '--no-dashboard', '--json'];
const dbOf = (f: Fixture): string => join(f.workspace, 'orchestrate.db');

async function reference(): Promise<Row[]> {
  const f = sessionFixture(rules());
  const r = await runCli(args(f), f.env);
  expect(r.code, r.stderr).toBe(0);
  return readLog(dbOf(f)).rows;
}

interface Outcome {
  killedAt: number;
  resumedWithConversation: boolean;
}

async function crashAndResume(killAfterSeq: number): Promise<Outcome> {
  const f = sessionFixture(rules());
  const { child, done } = startOrchestrator(args(f), f.env);
  let seen = 0;
  const reached = await waitUntil(() => {
    seen = readLog(dbOf(f)).rows.length;
    return seen >= killAfterSeq || child.exitCode !== null;
  }, 60_000);
  expect(reached).toBe(true);
  child.kill('SIGKILL');
  const first = await done;
  const before = readLog(dbOf(f));
  expect(before.sessionId).toBeDefined();
  const sessionId = before.sessionId ?? '';

  // A store killed mid-write is intact.
  const db = new Database(dbOf(f), { readonly: true });
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  db.close();
  const launchesBefore = existsSync(f.argvFile) ? readLaunches(f.argvFile).length : 0;

  if (first.signal === 'SIGKILL') {
    const resumed = await runCli(['resume', sessionId, '--workspace', f.workspace, '--json'], f.env, 90_000);
    expect(resumed.code, `${resumed.stdout}\n${resumed.stderr}`).toBe(0);
    expect(JSON.parse(resumed.stdout.trim().split('\n').at(-1) ?? '{}')).toMatchObject({ state: 'completed' });
  }

  const { rows } = readLog(dbOf(f));
  // seq is 1..N without gaps or duplicates
  expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
  // every line the orchestrator had read (its raw copy) is in the log
  const sessionDir = join(f.workspace, sessionId);
  expect(missingReadLines(sessionDir, rows)).toEqual([]);
  // no decision applied twice
  const decided = rows.filter((r) => r.type === 'review.decided').map((r) => (JSON.parse(r.payload) as { reviewId: string }).reviewId);
  expect(new Set(decided).size).toBe(decided.length);
  const store = new Database(dbOf(f), { readonly: true });
  const status = store.prepare<[string], { status: string }>('SELECT status FROM sessions WHERE id = ?').get(sessionId)?.status;
  const decisions = store.prepare<[string], { n: number }>('SELECT count(*) AS n FROM decisions WHERE session_id = ?').get(sessionId)?.n;
  store.close();
  expect(decisions).toBe(decided.length);
  // the final state matches the last events
  const states = rows.filter((r) => r.type === 'session.state').map((r) => (JSON.parse(r.payload) as { state: string }).state);
  expect(states.at(-1)).toBe('completed');
  expect(status).toBe('completed');
  // and the work is done
  expect(existsSync(join(f.target, 'greet.js'))).toBe(true);
  expect(existsSync(join(f.target, 'greet.test.js'))).toBe(true);
  const relaunches = readLaunches(f.argvFile).slice(launchesBefore);
  return { killedAt: seen, resumedWithConversation: relaunches.some((l) => l.argv.includes('--resume') || l.argv.includes('resume')) };
}

describe('crash and resume: SIGKILL at many points of a session', () => {
  let points: number[] = [];

  beforeAll(async () => {
    const rows = await reference();
    const n = rows.length;
    const at = (pred: (r: Row) => boolean): number[] => rows.filter(pred).map((r) => r.seq);
    const even = Array.from({ length: 20 }, (_, i) => Math.max(2, Math.round(((i + 1) * (n - 4)) / 21)));
    const special = [
      ...at((r) => r.type === 'recovery.pending').slice(0, 1), // during a recovery
      ...at((r) => r.type === 'session.plan').slice(0, 1), // right after the plan
      ...at((r) => r.type === 'review.decided').slice(0, 3), // right after decisions
      ...at((r) => r.agent === 'claude' && r.type === 'progress').slice(0, 1), // mid-stream
      ...at((r) => r.worker_id.startsWith('review-')).slice(0, 1), // during a review
    ];
    points = [...new Set([...even, ...special])].sort((a, b) => a - b);
  }, 120_000);

  it('has at least 20 kill points spread over the whole flow', () => {
    expect(points.length).toBeGreaterThanOrEqual(20);
  });

  it('resumes to completion after every kill, with a gap-free log, nothing read lost and no decision twice', async () => {
    const outcomes: Outcome[] = [];
    // Two sessions at a time (each has its own fixture): the kill points are independent.
    const lanes = 2;
    await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        for (let i = lane; i < points.length; i += lanes) outcomes.push(await crashAndResume(points[i] ?? 0));
      }),
    );
    expect(outcomes).toHaveLength(points.length);
    // Somewhere mid-run an agent's own conversation was continued rather than restarted.
    expect(outcomes.some((o) => o.resumedWithConversation)).toBe(true);
  }, 900_000);
});
