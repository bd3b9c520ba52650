import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { isAlive, isGroupAlive, readLaunches } from '../helpers/fake-agents.js';
import { happyRules, runCli, sessionFixture, type Fixture } from '../helpers/session-fixture.js';
import { readLog, startOrchestrator, waitUntil } from '../runtime/crash-helpers.js';

const args = (f: Fixture): string[] => ['Add a greeting', '--target', f.target, '--workspace', f.workspace, '--no-dashboard', '--json'];
const db = (f: Fixture): string => join(f.workspace, 'orchestrate.db');

/** A session whose implementer hangs: it stays live until killed. */
function hangingFixture(): Fixture {
  return sessionFixture([{ match: { kind: 'implement' }, respond: { actions: [{ shell: 'echo started > started.txt' }], behavior: 'hang' } }, ...happyRules()]);
}

/** The runs a session started, from its process.spawned records. */
const spawnedRuns = (rows: readonly { type: string; payload: string }[]): { pid: number; workerId: string; attempt: number }[] =>
  rows.filter((r) => r.type === 'process.spawned').map((r) => JSON.parse(r.payload) as { pid: number; workerId: string; attempt: number });

/** The agent pids a session recorded (as the orchestrator saw them: a sandboxed fake sees its own pid namespace). */
const spawnedPids = (rows: readonly { type: string; payload: string }[]): number[] => spawnedRuns(rows).map((r) => r.pid);

/** The fakes a killed orchestrator left running (in their own process groups). */
function killRecordedAgents(f: Fixture): void {
  for (const pid of spawnedPids(readLog(db(f)).rows)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Ended by a stop: exit 130, state `stopped`, and every agent the session started gone. */
async function expectStopped(f: Fixture, done: { code: number | null; stdout: string; stderr: string }): Promise<void> {
  expect(done.code, done.stderr).toBe(130);
  expect(JSON.parse(done.stdout.trim().split('\n').at(-1) ?? '{}')).toMatchObject({ state: 'stopped' });
  const rows = readLog(db(f)).rows;
  const pids = spawnedPids(rows);
  expect(pids.length).toBeGreaterThan(0);
  for (const pid of pids) expect(await waitUntil(() => !isAlive(pid), 10_000)).toBe(true);
  // How each agent ended is in the log, the ones the stop ended too: the log closed after them.
  for (const run of spawnedRuns(rows)) expect(exitOf(rows, run), `${run.workerId} attempt ${run.attempt}`).toBeDefined();
}

/** The payload of a run's `process.exited` event, if the log has it. */
function exitOf(rows: readonly { agent: string; worker_id: string; attempt: number; payload: string }[], run: { workerId: string; attempt: number }): { signal: string | null; stopped: boolean } | undefined {
  const row = rows.find((r) => r.agent !== 'orchestrate' && r.worker_id === run.workerId && r.attempt === run.attempt && r.payload.includes('"kind":"process.exited"'));
  return row ? (JSON.parse(row.payload) as { signal: string | null; stopped: boolean }) : undefined;
}

async function liveSession(f: Fixture) {
  const run = startOrchestrator(args(f), f.env);
  await waitUntil(() => readLog(db(f)).rows.some((r) => r.agent === 'claude'), 30_000);
  const id = readLog(db(f)).sessionId ?? '';
  return { ...run, id };
}

describe('orchestrate resume and sessions', () => {

  it('lists sessions with status, tier, agents and tokens', async () => {
    const f = sessionFixture(happyRules());
    expect((await runCli(args(f), f.env)).code).toBe(0);
    const table = await runCli(['sessions', '--workspace', f.workspace], f.env);
    expect(table.stdout).toMatch(/session\s+status\s+tier\s+agents \(a\/i\/r\)\s+age\s+tokens\s+task/);
    expect(table.stdout).toMatch(/orch_\S+\s+completed\s+1\s+gemini\/claude\/codex/);
    const json = JSON.parse((await runCli(['sessions', '--json', '--workspace', f.workspace], f.env)).stdout) as { status: string; tokens: Record<string, unknown> }[];
    expect(json[0]?.status).toBe('completed');
    expect(Object.keys(json[0]?.tokens ?? {})).toEqual(expect.arrayContaining(['claude', 'codex', 'gemini']));
  });

  it('refuses a second orchestrator on a live session, with a clear message', async () => {
    const f = hangingFixture();
    const live = await liveSession(f);
    const second = await runCli(['resume', live.id, '--workspace', f.workspace], f.env);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/is being driven by .* not starting a second orchestrator/);
    live.child.kill('SIGKILL');
    await live.done;
    killRecordedAgents(f);
  });

  it('Ctrl-C stops a live session: exit 130, its agents stopped, and no false alarm about the event log', async () => {
    const f = hangingFixture();
    const live = await liveSession(f);
    live.child.kill('SIGINT');
    const done = await live.done;
    await expectStopped(f, done);
    // No false alarm about the log while the agents stop.
    expect(done.stderr).not.toMatch(/could not be written/);
    expect(readLog(db(f)).rows.filter((r) => r.type === 'session.state').at(-1)?.payload).toContain('"stopped"');
    // The hanging implementer ended by the stop's SIGTERM, and the log says so.
    const rows = readLog(db(f)).rows;
    const implementer = spawnedRuns(rows).find((r) => r.workerId === 'implementer');
    expect(implementer && exitOf(rows, implementer)).toMatchObject({ signal: 'SIGTERM', stopped: true });
  });

  it('Ctrl-C the moment the first agent starts (the dashboard still loading) still stops the session and its agent', async () => {
    const f = hangingFixture();
    const run = startOrchestrator(['Add a greeting', '--target', f.target, '--workspace', f.workspace, '--port', '0', '--host', '127.0.0.1', '--json'], f.env);
    const launched = (): boolean => existsSync(f.argvFile) && readLaunches(f.argvFile).length > 0;
    expect(await waitUntil(launched, 30_000)).toBe(true);
    run.child.kill('SIGINT');
    const done = await run.done;
    // Before, Node's default action ended the orchestrator here and left the agent running.
    expect(done.signal, done.stderr).toBeNull();
    await expectStopped(f, done);
  });

  it('a session killed before its first snapshot starts over from its task on resume, and its agents from before are stopped', async () => {
    const f = sessionFixture(happyRules());
    const run = startOrchestrator(args(f), f.env);
    // As early as possible: the architect has been started.
    expect(await waitUntil(() => readLog(db(f)).rows.some((r) => r.type === 'process.spawned'), 30_000)).toBe(true);
    run.child.kill('SIGKILL');
    await run.done;
    const { sessionId, rows } = readLog(db(f));
    const id = sessionId ?? '';
    // What the store holds when the kill came before the first snapshot write.
    const store = new Database(db(f));
    store.prepare('DELETE FROM snapshots WHERE session_id = ?').run(id);
    store.close();
    const resumed = await runCli(['resume', id, '--workspace', f.workspace, '--json'], f.env, 90_000);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout.trim().split('\n').at(-1) ?? '{}')).toMatchObject({ state: 'completed' });
    const after = readLog(db(f)).rows;
    // The log went on from where it stopped, gap-free, and the work is done.
    expect(after.slice(0, rows.length).map((r) => r.seq)).toEqual(rows.map((r) => r.seq));
    expect(after.map((r) => r.seq)).toEqual(after.map((_, i) => i + 1));
    expect(existsSync(join(f.target, 'greet.js'))).toBe(true);
    const log = readFileSync(join(f.workspace, id, 'orchestrator.log'), 'utf8');
    expect(log).toMatch(/starting the session over from its task/);
    const before = spawnedPids(rows);
    expect(before.length).toBeGreaterThan(0);
    expect(before.filter(isGroupAlive)).toEqual([]);
  });

  it('continues the killed agent’s own conversation after SIGKILL', async () => {
    const f = hangingFixture();
    const live = await liveSession(f);
    // Killed after the agent's first change: in a sandbox the agent dies with the orchestrator.
    await waitUntil(() => existsSync(join(f.target, 'started.txt')), 30_000);
    live.child.kill('SIGKILL');
    await live.done;
    const claudeStart = readLog(db(f)).rows.find((r) => r.agent === 'claude' && (JSON.parse(r.payload) as { kind?: string }).kind === 'run.started');
    const conversation = (JSON.parse(claudeStart?.payload ?? '{}') as { agentSessionId?: string }).agentSessionId;
    expect(conversation).toBeTruthy();
    // This time the implementer finishes.
    const script = JSON.parse(readFileSync(f.script, 'utf8')) as { rules: unknown[] };
    writeFileSync(f.script, JSON.stringify({ rules: script.rules.slice(1) }));
    const before = readLaunches(f.argvFile).length;
    const resumed = await runCli(['resume', live.id, '--workspace', f.workspace, '--json'], f.env);
    expect(resumed.code, resumed.stderr).toBe(0);
    const relaunch = readLaunches(f.argvFile).slice(before).find((l) => l.cli === 'claude');
    expect(relaunch?.argv.slice(relaunch.argv.indexOf('--resume'), relaunch.argv.indexOf('--resume') + 2)).toEqual(['--resume', conversation]);
    expect(relaunch?.stdin + (relaunch?.argv.join(' ') ?? '')).toMatch(/orchestrator was restarted/);
    // The final review still sees the whole change, including what was done before the crash.
    const summary = JSON.parse(resumed.stdout.trim().split('\n').at(-1) ?? '{}') as { workspace: string; decisions: { reviewId: string }[] };
    const finalReview = summary.decisions.at(-1)?.reviewId ?? '';
    expect(readFileSync(join(summary.workspace, 'reviews', finalReview, 'request.md'), 'utf8')).toMatch(/started\.txt/);
  });

  it('refuses an unknown session, a corrupt store and a snapshot from other statecharts, changing nothing', async () => {
    const f = hangingFixture();
    const live = await liveSession(f);
    live.child.kill('SIGKILL');
    await live.done;

    const unknown = await runCli(['resume', 'orch_nope', '--workspace', f.workspace], f.env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no session "orch_nope"/);

    const store = new Database(db(f));
    store.prepare("UPDATE snapshots SET machine_version = 'older-machines'").run();
    const before = store.prepare<[], { n: number }>('SELECT count(*) AS n FROM events').get()?.n;
    store.close();
    const incompatible = await runCli(['resume', live.id, '--workspace', f.workspace], f.env);
    expect(incompatible.code).toBe(1);
    expect(incompatible.stderr).toMatch(/saved by different statecharts/);
    const after = new Database(db(f), { readonly: true });
    expect(after.prepare<[], { n: number }>('SELECT count(*) AS n FROM events').get()?.n).toBe(before);
    after.close();

    const corrupt = sessionFixture([]);
    execFileSync('mkdir', ['-p', corrupt.workspace]);
    writeFileSync(db(corrupt), 'not a database '.repeat(500));
    const bad = await runCli(['resume', 'x', '--workspace', corrupt.workspace], corrupt.env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not a usable orchestrate store/);
    expect(readFileSync(db(corrupt), 'utf8')).toBe('not a database '.repeat(500));
    killRecordedAgents(f);
  });
});
