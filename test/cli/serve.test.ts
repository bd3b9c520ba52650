import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { happyRules, CLI, sessionFixture, type Fixture } from '../helpers/session-fixture.js';
import { slowRules } from '../server/server-helpers.js';

/** Starts the CLI and resolves with the dashboard URL once printed (and the process, to stop it). */
function startCli(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; url: Promise<string>; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let found: (url: string) => void = () => undefined;
  const url = new Promise<string>((resolve) => (found = resolve));
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
    const m = /^dashboard: (\S+)$/m.exec(stdout);
    if (m?.[1]) found(m[1]);
  });
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { child, url, done };
}

describe('orchestrate with the dashboard, and orchestrate serve (real processes)', () => {
  let f: Fixture;
  let taken: Server;
  let takenPort = 0;

  beforeAll(async () => {
    f = sessionFixture(happyRules());
    taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const address = taken.address();
    takenPort = typeof address === 'object' && address ? address.port : 0;
  }, 120_000);
  afterAll(() => taken.close());

  it('orchestrate "task" prints the dashboard URL with its token (on a free port when the asked one is taken) and still ends when the session does', async () => {
    const run = startCli(['Add a greeting', '--target', f.target, '--workspace', f.workspace, '--port', String(takenPort)], f.env);
    const url = new URL(await run.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.port).not.toBe(String(takenPort));
    expect(url.searchParams.get('token')).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`port ${takenPort} is in use; the dashboard is on port ${url.port} instead`);
  }, 60_000);

  it('orchestrate serve shows every session in the store, needs the token, refuses controls of sessions it does not drive, and stops on SIGTERM', async () => {
    const serve = startCli(['serve', '--workspace', f.workspace, '--port', '0'], f.env);
    const url = new URL(await serve.url);
    const token = url.searchParams.get('token') ?? '';
    const base = `http://${url.host}`;
    const auth = { authorization: `Bearer ${token}` };
    expect((await fetch(`${base}/api/sessions`)).status).toBe(401);
    const sessions = (await (await fetch(`${base}/api/sessions`, { headers: auth })).json()) as { id: string; status: string; live: boolean }[];
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ status: 'completed', live: false });
    const id = sessions[0]?.id ?? '';
    const decisions = (await (await fetch(`${base}/api/sessions/${id}/decisions`, { headers: auth })).json()) as unknown[];
    expect(decisions).toHaveLength(5);
    const control = await fetch(`${base}/api/sessions/${id}/control/pause`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' });
    expect(control.status).toBe(409);
    expect(((await control.json()) as { error: string }).error).toBe('not_live');
    serve.child.kill('SIGTERM');
    expect((await serve.done).code).toBe(0);
  }, 60_000);

  it('a --host other than loopback gets a warning', async () => {
    const serve = startCli(['serve', '--workspace', f.workspace, '--port', '0', '--host', '0.0.0.0'], f.env);
    await serve.url;
    serve.child.kill('SIGTERM');
    const r = await serve.done;
    expect(r.stdout).toMatch(/warning: the dashboard listens on 0\.0\.0\.0, not only this machine/);
  }, 60_000);

  it('orchestrate serve follows a session that another orchestrate process is running (read from the shared store), without gaps', async () => {
    const g = sessionFixture(slowRules(60));
    const run = startCli(['Add a greeting', '--target', g.target, '--workspace', g.workspace, '--no-dashboard'], g.env);
    // The store exists once the run has started its session.
    await new Promise<void>((resolve) => run.child.stdout?.on('data', (d: Buffer) => d.toString().includes('state: planning') && resolve()));
    const serve = startCli(['serve', '--workspace', g.workspace, '--port', '0'], g.env);
    const url = new URL(await serve.url);
    const ws = new WebSocket(`ws://${url.host}/api/ws?since=0`, { headers: { authorization: `Bearer ${url.searchParams.get('token') ?? ''}` } });
    const seqs: number[] = [];
    const types: string[] = [];
    ws.on('message', (data: Buffer) => {
      const e = JSON.parse(data.toString()) as { seq: number; type: string; payload: { state?: string } };
      seqs.push(e.seq);
      if (e.type === 'session.state') types.push(e.payload.state ?? '');
    });
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    const deadline = Date.now() + 10_000;
    while (types.at(-1) !== 'completed' && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    expect(types.at(-1)).toBe('completed');
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    ws.close();
    serve.child.kill('SIGTERM');
    expect((await serve.done).code).toBe(0);
  }, 90_000);

  it('a pause pressed on the dashboard of an unattended run is waited out, not an exit: resume there and the run completes', async () => {
    const g = sessionFixture(slowRules(150));
    const run = startCli(['Add a greeting', '--target', g.target, '--workspace', g.workspace, '--port', '0'], g.env);
    const url = new URL(await run.url);
    const headers = { authorization: `Bearer ${url.searchParams.get('token') ?? ''}`, 'content-type': 'application/json' };
    const post = (action: string) => fetch(`http://${url.host}/api/control/${action}`, { method: 'POST', headers, body: '{}' });
    let paused = await post('pause');
    // The session may still be between phases; a pause is accepted once a phase runs.
    for (let i = 0; i < 100 && paused.status === 409; i++) {
      await new Promise((res) => setTimeout(res, 50));
      paused = await post('pause');
    }
    expect(paused.status).toBe(202);
    // Still running and waiting: the server answers, and it says paused.
    await new Promise((res) => setTimeout(res, 500));
    expect(run.child.exitCode).toBeNull();
    const session = (await (await fetch(`http://${url.host}/api/session`, { headers })).json()) as { state: string };
    expect(session.state).toBe('paused');
    expect((await post('resume')).status).toBe(202);
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/paused from the dashboard: resume or stop it there/);
    expect(r.stdout).toMatch(/session \S+: completed/);
  }, 90_000);
});
