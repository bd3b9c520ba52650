import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, happyRules, sessionFixture, verdict, type Fixture, type Rule } from '../helpers/session-fixture.js';
import { Tmux } from '../helpers/tmux.js';

/** What the store says: the session's status and its control records. */
function stored(f: Fixture): { id: string; status: string; controls: string[]; events: number } {
  const db = new Database(join(f.workspace, 'orchestrate.db'), { readonly: true });
  try {
    const s = db.prepare('SELECT id, status FROM sessions').get() as { id: string; status: string };
    const controls = (db.prepare("SELECT payload FROM events WHERE type = 'control' ORDER BY seq").all() as { payload: string }[]).map((r) => (JSON.parse(r.payload) as { text: string }).text);
    const { n } = db.prepare('SELECT count(*) AS n FROM events').get() as { n: number };
    return { ...s, controls, events: n };
  } finally {
    db.close();
  }
}

/** The id of the fixture's session, once the process running it has created it. */
async function sessionIdOf(f: Fixture): Promise<string> {
  for (let i = 0; i < 200; i++) {
    if (existsSync(join(f.workspace, 'orchestrate.db'))) {
      const db = new Database(join(f.workspace, 'orchestrate.db'), { readonly: true });
      try {
        const row = db.prepare("SELECT name FROM sqlite_master WHERE name = 'sessions'").get() ? (db.prepare('SELECT id FROM sessions').get() as { id: string } | undefined) : undefined;
        if (row) return row.id;
      } finally {
        db.close();
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no session was created');
}

/** Any foreground/background colour in tmux's re-encoding of the screen. */
const COLOUR = new RegExp(`${String.fromCharCode(27)}\\[(?:\\d+;)*(?:3[0-7]|9[0-7]|4[0-7]|38;5;\\d+)(?:;\\d+)*m`);

const terms: Tmux[] = [];
function orchestrate(f: Fixture, args: string[], env: NodeJS.ProcessEnv = {}): Tmux {
  const t = new Tmux();
  terms.push(t);
  const { CI: _ci, ...rest } = f.env;
  t.start([process.execPath, CLI, ...args], { ...rest, TERM: 'xterm-256color', ...env }, { cwd: f.dir });
  return t;
}
const run = (f: Fixture, env: NodeJS.ProcessEnv = {}, ...extra: string[]): Tmux => orchestrate(f, ['Add a greeting', '--target', f.target, '--workspace', f.workspace, '--no-dashboard', ...extra], env);

const slow = (rules: Rule[], delayMs: number): Rule[] => rules.map((r) => ({ ...r, respond: { ...r.respond, delayMs } }));

/** Presses q until the UI has gone (a key typed while a loaded machine starts the UI can be missed). */
async function quit(t: Tmux, says: string): Promise<string> {
  for (let i = 0; ; i++) {
    t.keys('q');
    try {
      return await t.waitFor((s) => s.includes(says), 3000);
    } catch (error) {
      if (i === 9) throw error;
    }
  }
}

const hasTmux = ((): boolean => {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasTmux)('orchestrate in a real terminal (tmux, fake agents)', () => {
  afterEach(() => {
    for (const t of terms.splice(0)) t.kill();
  });

  it('shows an escalation in place; a approves it; the session completes; q quits with 0', async () => {
    const f = sessionFixture([{ match: { kind: 'review', cli: 'codex', promptIncludes: 'architect' }, times: 1, respond: verdict('blocker', 'unsafe plan') }, ...happyRules()]);
    const t = run(f);
    const screen = await t.waitFor((s) => s.includes('ESCALATED'));
    expect(screen).toMatch(/review-1 milestone→architect .*codex=blocker/);
    expect(screen).toContain('a approve · x reject');
    expect(t.screen({ ansi: true })).toMatch(COLOUR);
    t.keys('a');
    const done = await t.waitFor((s) => s.includes('session completed · q to quit'), 60_000);
    expect(done).toMatch(/implementer\(claude\)\s+exited\s+█{10} 100%/);
    expect(done).toMatch(/review-5 final→implementer codex=approved → CONTINUE/);
    t.keys('q');
    expect(await t.exitCode()).toBe(0);
    expect(t.screen()).toMatch(/session orch_\S+: completed/);
    expect(stored(f)).toMatchObject({ status: 'completed', controls: ['user.approve'] });
  }, 120_000);

  it('answers a clarification in place with c; the session goes on with it', async () => {
    const concern = (cli: string): Rule => ({ match: { kind: 'review', cli, promptIncludes: 'architect' }, times: 1, respond: verdict('concern', `${cli} is unsure`) });
    const f = sessionFixture([concern('codex'), concern('gemini'), ...happyRules()]);
    const t = run(f);
    await t.waitFor((s) => s.includes('QUESTION:') && s.includes('c answer'));
    t.keys('c');
    await t.waitFor((s) => s.includes('your answer:'));
    // Text and Enter in one write, as keys typed faster than the UI reads them arrive: one chunk.
    t.keys('use the greet name\r');
    await t.waitFor((s) => s.includes('session completed · q to quit'), 60_000);
    t.keys('q');
    expect(await t.exitCode()).toBe(0);
    expect(stored(f)).toMatchObject({ status: 'completed', controls: ['user.clarify'] });
    // The answer reached the architect's next prompt.
    expect(readFileSync(f.argvFile, 'utf8')).toContain('use the greet name');
  }, 120_000);

  it('stays responsive under a 1M-line flood: p pauses it mid-flood, q asks, y stops (130)', async () => {
    const f = sessionFixture([]);
    // Replay mode: the architect (Gemini) floods a million lines of a recorded tool run.
    const { FAKE_SCRIPT: _script, ...env } = f.env;
    const t = orchestrate({ ...f, env }, ['Add a greeting', '--target', f.target, '--workspace', f.workspace, '--no-dashboard'], { FAKE_BEHAVIOR: 'flood', FAKE_FLOOD_LINES: '1000000', FAKE_SCENARIO: 'tool' });
    await t.waitFor((s) => /architect\(gemini\)\s+running/.test(s) && s.includes('tool.call'));
    t.keys('p');
    await t.waitFor((s) => s.includes('PAUSED: paused by the user'));
    const paused = stored(f);
    expect(paused.status).toBe('paused');
    expect(paused.controls).toEqual(['user.pause']);
    // The pause got through while the flood ran: the agent was stopped long before its millionth line.
    expect(paused.events).toBeLessThan(1_000_000);
    await t.waitFor((s) => /architect\(gemini\)\s+stopped/.test(s));
    t.keys('q');
    await t.waitFor((s) => s.includes('stop it and quit? (y/n)'));
    t.keys('y');
    expect(await t.exitCode()).toBe(130);
    expect(stored(f)).toMatchObject({ status: 'stopped', controls: ['user.pause', 'user.stop'] });
  }, 120_000);

  it('attach follows a session another process runs, read-only, then shows how it ended', async () => {
    const f = sessionFixture(slow(happyRules(), 150));
    const owner = spawn(process.execPath, [CLI, 'Add a greeting', '--target', f.target, '--workspace', f.workspace, '--no-dashboard'], { env: f.env, stdio: 'ignore' });
    const ended = new Promise<number | null>((resolve) => owner.on('close', resolve));
    const id = await sessionIdOf(f);
    const t = orchestrate(f, ['attach', id, '--workspace', f.workspace]);
    await t.waitFor((s) => s.includes('[read-only]') && /implementing|planning/.test(s));
    t.keys('p');
    await t.waitFor((s) => s.includes('read-only: steer it from the process that runs it'));
    await t.waitFor((s) => s.includes('session completed · q to quit'), 90_000);
    expect(await ended).toBe(0);
    expect(stored(f).controls).toEqual([]);
    t.keys('q');
    expect(await t.exitCode()).toBe(0);
    // A finished session opens as recorded.
    const again = orchestrate(f, ['attach', id, '--workspace', f.workspace]);
    const screen = await again.waitFor((s) => s.includes('session completed · q to quit'));
    expect(screen).toContain('read-only (the session has ended (completed))');
    expect(screen).toMatch(/review-5 final→implementer/);
    again.keys('q');
    expect(await again.exitCode()).toBe(0);
  }, 150_000);

  it('quitting with --detach leaves the session running to its end; with a dashboard, the escalation is answered there', async () => {
    const detached = sessionFixture(slow(happyRules(), 150));
    const d = run(detached, {}, '--detach');
    await d.waitFor((s) => /implementer\(claude\)\s+running/.test(s));
    // No "stop it and quit?": the session goes on in this process to its end.
    await quit(d, 'the terminal UI closed; the session goes on in this process');
    expect(await d.exitCode(90_000)).toBe(0);
    expect(stored(detached)).toMatchObject({ status: 'completed', controls: [] });

    const f = sessionFixture(slow([{ match: { kind: 'review', cli: 'codex', promptIncludes: 'architect' }, times: 1, respond: verdict('blocker', 'unsafe plan') }, ...happyRules()], 150));
    const t = orchestrate(f, ['Add a greeting', '--target', f.target, '--workspace', f.workspace, '--port', '0']);
    // The escalation is on the screen; q leaves it to the dashboard instead of asking to stop.
    await t.waitFor((s) => s.includes('ESCALATED'));
    const after = await quit(t, 'steered on the dashboard');
    const url = /steered on the dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(after.replace(/\n/g, ''))?.[1];
    expect(url).toBeDefined();
    expect(stored(f).status).toBe('escalated');
    const { origin, searchParams } = new URL(url ?? '');
    const res = await fetch(`${origin}/api/control/approve`, { method: 'POST', headers: { authorization: `Bearer ${searchParams.get('token') ?? ''}`, 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(202);
    expect(await t.exitCode(90_000)).toBe(0);
    expect(stored(f)).toMatchObject({ status: 'completed', controls: ['user.approve'] });
  }, 180_000);

  it('--no-tui prints plain lines in a terminal; NO_COLOR draws the UI without colour', async () => {
    const plain = sessionFixture(happyRules());
    const p = run(plain, {}, '--no-tui');
    expect(await p.exitCode(60_000)).toBe(0);
    const lines = p.screen();
    expect(lines).toContain('state: planning.working');
    expect(lines).not.toContain('q quit');
    const f = sessionFixture(happyRules());
    const t = run(f, { NO_COLOR: '1' });
    await t.waitFor((s) => s.includes('session completed · q to quit'), 60_000);
    expect(t.screen({ ansi: true })).not.toMatch(COLOUR);
    t.keys('q');
    expect(await t.exitCode()).toBe(0);
  }, 120_000);
});
