import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { InspectRecord } from '../../src/inspect/live.js';
import { startServer, type RunningServer } from '../../src/server/listen.js';
import { SessionRegistry } from '../../src/server/registry.js';
import { raw } from './http.js';
import { liveSession, slowRules, until, type Live } from './server-helpers.js';

function inspectClient(url: string, token: string): { records: InspectRecord[]; closed: Promise<{ code: number; reason: string }>; ws: WebSocket } {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  const records: InspectRecord[] = [];
  ws.on('message', (data: Buffer) => records.push(JSON.parse(data.toString()) as InspectRecord));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return { records, closed, ws };
}

describe('the inspector routes during a fake-agent session', () => {
  let live: Live;
  let redacted: ReturnType<typeof inspectClient>;
  let full: ReturnType<typeof inspectClient>;

  beforeAll(async () => {
    live = await liveSession(slowRules(100));
    const ws = `ws://127.0.0.1:${live.server.port}/api/sessions/${live.handle.sessionId}/inspect/ws`;
    redacted = inspectClient(ws, live.server.token);
    full = inspectClient(`${ws}?mode=full`, live.server.token);
    await new Promise((r) => redacted.ws.once('open', r));
    await new Promise((r) => full.ws.once('open', r));
    const summary = await live.handle.settled();
    expect(summary.state).toBe('completed');
    // The last records are on their way when the session settles.
    const finished = (r: InspectRecord): boolean => r.type === 'inspect.snapshot' && r.actor === 'session' && r.status === 'done';
    expect(await until(() => redacted.records.some(finished) && full.records.some(finished))).toBe(true);
  }, 90_000);
  afterAll(async () => {
    redacted.ws.close();
    full.ws.close();
    await live.close();
  });

  it('streams actor, event, transition and snapshot records of every actor, live', () => {
    const r = redacted.records;
    expect(new Set(r.map((x) => x.type))).toEqual(new Set(['inspect.actor', 'inspect.event', 'inspect.transition', 'inspect.snapshot']));
    const actors = new Set(r.filter((x) => x.type === 'inspect.actor').map((x) => x.actor));
    for (const a of ['session/implementer', 'session/implementer/proc-1', 'session/phaseReview', 'session/phaseReview/reviewer-codex']) expect(actors, a).toContain(a);
    expect(r.some((x) => x.type === 'inspect.transition' && x.actor === 'session/implementer' && x.transitions?.some((t) => t.source === 'worker.launching' && t.targets[0] === 'worker.running'))).toBe(true);
    expect(r.some((x) => x.type === 'inspect.snapshot' && x.actor === 'session' && x.status === 'done' && x.value === 'completed')).toBe(true);
    expect(r.map((x) => x.n)).toEqual(r.map((_, i) => (r[0]?.n ?? 1) + i));
  });

  it('redacts prompts and file contents unless mode=full, and never shows secrets', () => {
    const text = JSON.stringify(redacted.records);
    expect(text).not.toContain('greet.js exists');
    expect(text).not.toContain('Add a greeting');
    expect(text).toContain('[redacted');
    const all = JSON.stringify(full.records);
    expect(all).toContain('Add a greeting');
    expect(all).not.toContain('"ANTHROPIC_API_KEY":"fake"');
  });

  it('answers the actor tree, active states and every recorded transition; the charts with their edges', async () => {
    const res = await raw(live.base, 'GET', `/api/sessions/${live.handle.sessionId}/inspect`, live.auth);
    expect(res.status).toBe(200);
    const body = res.json() as { live: boolean; current: { actors: { path: string }; machines: { active: string[] }[] }; transitions: { seq: number; actor: string; to: { status: string } }[] };
    expect(body.live).toBe(true);
    expect(body.current.machines[0]?.active).toEqual(['session', 'session.completed']);
    expect(body.transitions.length).toBeGreaterThan(20);
    expect(body.transitions.map((t) => t.seq)).toEqual([...body.transitions.map((t) => t.seq)].sort((a, b) => a - b));
    expect(body.transitions.at(-1)).toMatchObject({ actor: expect.stringMatching(/^session/) as unknown });
    const machines = (await raw(live.base, 'GET', '/api/machines', live.auth)).json() as Record<string, { chart: { id: string }; edges: { from: string; to: string; label: string }[] }>;
    expect(Object.keys(machines)).toEqual(['session', 'worker', 'review', 'recovery']);
    expect(machines.worker?.edges).toContainEqual({ from: 'worker.launching', to: 'worker.running', label: 'agent.spawned [isCurrent]' });
  });

  it('refuses bad queries and unknown sessions', async () => {
    const bad = await raw(live.base, 'GET', `/api/sessions/${live.handle.sessionId}/inspect/ws?mode=everything`, { ...live.auth, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' });
    expect(bad.status).toBe(400);
    const unknown = inspectClient(`ws://127.0.0.1:${live.server.port}/api/sessions/orch_nope/inspect/ws`, live.server.token);
    expect(await unknown.closed).toMatchObject({ code: 4404 });
    expect((await raw(live.base, 'GET', '/api/sessions/orch_nope/inspect', live.auth)).status).toBe(404);
  });

  describe('a session this server does not run', () => {
    let other: RunningServer;
    beforeAll(async () => {
      // A second server over the same store: the session is not live there.
      const started = await startServer({ registry: new SessionRegistry(live.store), host: '127.0.0.1', port: 0 });
      if ('kind' in started) throw new Error(started.message);
      other = started;
    });
    afterAll(async () => other.close());

    it('without inspect.jsonl: closes saying how to get one', async () => {
      const c = inspectClient(`ws://127.0.0.1:${other.port}/api/sessions/${live.handle.sessionId}/inspect/ws`, other.token);
      const closed = await c.closed;
      expect(closed.code).toBe(4409);
      expect(closed.reason).toMatch(/--inspect/);
    });

    it('with inspect.jsonl (run elsewhere with --inspect): replays and follows it, redacted again', async () => {
      const file = join(live.handle.sessionDir, 'inspect.jsonl');
      mkdirSync(live.handle.sessionDir, { recursive: true });
      const line = (n: number) => `${JSON.stringify({ n, at: new Date().toISOString(), type: 'inspect.event', actor: 'session', event: { type: 'user.clarify', text: 'secret clarification '.repeat(20) } })}\n`;
      writeFileSync(file, line(1) + line(2));
      const c = inspectClient(`ws://127.0.0.1:${other.port}/api/sessions/${live.handle.sessionId}/inspect/ws?since=1`, other.token);
      expect(await until(() => c.records.length === 1)).toBe(true);
      // A line written in two parts arrives once, whole.
      const third = line(3);
      writeFileSync(file, line(1) + line(2) + third.slice(0, 20), { flag: 'w' });
      writeFileSync(file, line(1) + line(2) + third, { flag: 'w' });
      expect(await until(() => c.records.length === 2)).toBe(true);
      expect(c.records.map((r) => r.n)).toEqual([2, 3]);
      expect(JSON.stringify(c.records)).not.toContain('secret clarification');
      c.ws.close();
    });
  });
});
