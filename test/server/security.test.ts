import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostname } from 'node:os';
import { WebSocket } from 'ws';
import { allowedHosts } from '../../src/server/security.js';
import { raw } from './http.js';
import { liveSession, slowRules, until, type Live } from './server-helpers.js';

describe('security, input validation and controls (real server over a live fake-agent session)', () => {
  let live: Live;
  const post = (path: string, body: string | Buffer | undefined, headers: Record<string, string> = {}) =>
    raw(live.base, 'POST', path, { ...live.auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, body);

  beforeAll(async () => {
    live = await liveSession(slowRules(150));
  }, 60_000);
  afterAll(async () => live.close());

  it('every route but /health needs the token: missing or wrong is 401 with a message', async () => {
    for (const path of ['/api/session', '/api/workers', '/metrics', '/api/openapi.json', '/', '/assets/app.js', '/api/events/stream']) {
      const r = await raw(live.base, 'GET', path);
      expect(r.status, path).toBe(401);
      expect(r.json(), path).toMatchObject({ error: 'token_required' });
    }
    const wrong = await raw(live.base, 'GET', '/api/session', { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.json()).toMatchObject({ error: 'token_invalid' });
    expect((await raw(live.base, 'POST', '/api/control/pause', { 'content-type': 'application/json' }, '{}')).status).toBe(401);
  });

  it('the dashboard URL trades ?token= for an HttpOnly SameSite=Strict cookie, which then works', async () => {
    const r = await raw(live.base, 'GET', `/?token=${live.server.token}`);
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/');
    const cookie = String(r.headers['set-cookie']);
    expect(cookie).toMatch(new RegExp(`orchestrate_token_${live.server.port}=`));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const again = await raw(live.base, 'GET', '/api/session', { cookie: cookie.split(';')[0] ?? '' });
    expect(again.status).toBe(200);
    expect((await raw(live.base, 'GET', '/?token=wrong')).status).toBe(401);
  });

  it('a foreign Host (DNS rebinding) or Origin (cross-site) is refused, even with the token', async () => {
    const host = await raw(live.base, 'GET', '/api/session', { ...live.auth, host: `evil.example:${live.server.port}` });
    expect(host.status).toBe(421);
    expect(host.json()).toMatchObject({ error: 'host_not_allowed' });
    expect((await raw(live.base, 'GET', '/health', { host: 'evil.example' })).status).toBe(421);
    const origin = await post('/api/control/review', '{}', { origin: 'http://evil.example' });
    expect(origin.status).toBe(403);
    expect(origin.json()).toMatchObject({ error: 'origin_not_allowed' });
    expect((await post('/api/control/review', '{}', { origin: `http://127.0.0.1:${live.server.port + 1}` })).status).toBe(403);
    const own = await raw(live.base, 'GET', '/api/session', { ...live.auth, origin: `http://localhost:${live.server.port}`, host: `localhost:${live.server.port}` });
    expect(own.status).toBe(200);
  });

  it('WebSocket upgrades go through the same guards: no token, a foreign Origin or Host get an HTTP error, not a socket', async () => {
    const attempt = (headers: Record<string, string>): Promise<number> =>
      new Promise((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${live.server.port}/api/ws`, { headers });
        ws.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.on('open', () => {
          resolve(101);
          ws.close();
        });
        ws.on('error', () => undefined);
      });
    expect(await attempt({})).toBe(401);
    expect(await attempt({ ...live.auth, origin: 'http://evil.example' })).toBe(403);
    expect(await attempt({ ...live.auth, host: 'evil.example' })).toBe(421);
    expect(await attempt(live.auth)).toBe(101);
  });

  it('the accepted Host names: loopback and the bound address; on every interface also the machine\'s own names, never others', () => {
    expect([...allowedHosts('127.0.0.1', 8000)].sort()).toEqual(['127.0.0.1:8000', '[::1]:8000', 'localhost:8000']);
    expect(allowedHosts('::1', 81).has('[::1]:81')).toBe(true);
    const wild = allowedHosts('0.0.0.0', 8000);
    expect(wild.has(`${hostname()}:8000`)).toBe(true);
    expect(wild.has('evil.example:8000')).toBe(false);
    expect(wild.has('127.0.0.1:8001')).toBe(false);
  });

  it('malformed, oversized, mistyped and unknown input gets a 4xx with a clear message, never a 500', async () => {
    const cases: [string, Promise<{ status: number; body: string }>, number][] = [
      ['bad JSON', post('/api/control/clarify', '{"text": '), 400],
      ['not an object', post('/api/control/clarify', '[1,2]'), 400],
      ['unknown field', post('/api/control/pause', '{"evil": true}'), 400],
      ['wrong type', post('/api/control/clarify', '{"text": 42}'), 400],
      ['clarify without text', post('/api/control/clarify', '{}'), 400],
      ['unknown action', post('/api/control/explode', '{}'), 400],
      ['oversized', post('/api/control/clarify', JSON.stringify({ text: 'x'.repeat(64 * 1024) })), 413],
      ['not JSON at all', post('/api/control/pause', 'pause', { 'content-type': 'text/plain' }), 415],
      ['bad query', raw(live.base, 'GET', '/api/events?limit=abc', live.auth), 400],
      ['bad Last-Event-ID', raw(live.base, 'GET', '/api/events/stream', { ...live.auth, 'last-event-id': 'x' }), 400],
      ['bad since', raw(live.base, 'GET', '/api/events/stream?since=-1', live.auth), 400],
    ];
    for (const [name, response, status] of cases) {
      const r = await response;
      expect(r.status, `${name}: ${r.body}`).toBe(status);
      const body = JSON.parse(r.body) as { error: string; message: string };
      expect(body.message.length, name).toBeGreaterThan(5);
    }
  });

  it('pause and resume act through the root actor, are recorded as control events, and are refused when they make no sense', async () => {
    expect(await until(() => live.handle.actor.getSnapshot().matches('implementing'))).toBe(true);
    const paused = await post('/api/control/pause', '{}');
    expect(paused.status, paused.body).toBe(202);
    expect(live.handle.actor.getSnapshot().value).toBe('paused');
    const again = await post('/api/control/pause', '{}');
    expect(again.status).toBe(409);
    expect(again.json()).toMatchObject({ error: 'not_accepted' });
    const session = (await raw(live.base, 'GET', '/api/session', live.auth)).json() as { state: string; waiting: { kind: string } };
    expect(session.state).toBe('paused');
    expect(session.waiting.kind).toBe('paused');
    const resumed = await post(`/api/sessions/${live.handle.sessionId}/control/resume`, undefined);
    expect(resumed.status, resumed.body).toBe(202);
    expect(live.handle.actor.getSnapshot().matches('implementing')).toBe(true);
    const controls = live.store.records(live.handle.sessionId, 'control').map((e) => e.payload.text);
    expect(controls).toEqual(['user.pause', 'user.resume']);
    const stopped = await post('/api/control/stop', '{}');
    expect(stopped.status).toBe(202);
    expect((await live.handle.settled()).state).toBe('stopped');
    expect((await post('/api/control/resume', '{}')).status).toBe(409);
  });
});
