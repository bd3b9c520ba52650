import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PLAN_ONE_TASK, startOrchestrate, verdict, useRealSessions } from './session-helpers.js';

const sessions = useRealSessions();

const until = async <T>(what: string, get: () => Promise<T | undefined>, ms = 120_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

describe('confirmations with the real Claude Code: the guard holds the command until the user answers on the dashboard', () => {
  it('an approved git push runs; a rejected npm publish does not, and the agent goes on', async () => {
    const session = await sessions.start([
      { match: { kind: 'plan' }, respond: { structured: PLAN_ONE_TASK } },
      {
        match: { kind: 'implement', cli: 'claude' },
        respond: {
          actions: [{ shell: 'git push origin main 2> pushed.log; true' }, { shell: 'npm publish 2> published.log; true' }, { shell: 'echo hello > hello.txt' }],
          text: 'hello.txt written',
        },
      },
      { match: { kind: ['review', 'final-review'] }, respond: verdict('approved') },
    ]);
    const s = session;
    const run = startOrchestrate(['Write hello.txt', '--port', '0', '--json', '--target', s.target, '--workspace', s.workspace, '--config', s.configPath], s.env);
    let stderr = '';
    run.child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const url = await until('the dashboard URL', () => Promise.resolve(/dashboard: (http:\/\/\S+)/.exec(stderr)?.[1]));
    const base = new URL(url);
    const headers = { 'x-orchestrate-token': base.searchParams.get('token') ?? '', 'content-type': 'application/json' };
    const api = (path: string, init: RequestInit = {}) => fetch(new URL(path, base.origin), { ...init, headers });
    const held = (subject: string) =>
      until(`a confirmation for ${subject}`, async () => {
        const list = (await (await api('/api/confirmations')).json()) as { id: string; subject: string }[];
        return list.find((c) => c.subject.startsWith(subject));
      });

    const push = await held('git push');
    expect((await api(`/api/confirmations/${push.id}`, { method: 'POST', body: JSON.stringify({ approve: true }) })).status).toBe(202);
    const publish = await held('npm publish');
    expect((await api(`/api/confirmations/${publish.id}`, { method: 'POST', body: JSON.stringify({ approve: false, reason: 'not from a test' }) })).status).toBe(202);

    const done = await run.done;
    expect(done.code, done.stderr.slice(-3000)).toBe(0);
    expect(done.summary?.state).toBe('completed');
    // The approved command really ran (git complains about the missing remote); the rejected one never did.
    expect(readFileSync(join(s.target, 'pushed.log'), 'utf8')).toMatch(/origin/);
    expect(existsSync(join(s.target, 'published.log'))).toBe(false);
    expect(readFileSync(join(s.target, 'hello.txt'), 'utf8')).toBe('hello\n');
  });
});
