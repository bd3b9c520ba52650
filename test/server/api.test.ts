import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { happyRules } from '../helpers/session-fixture.js';
import { raw } from './http.js';
import { liveSession, type Live } from './server-helpers.js';

interface Worker {
  workerId: string;
  role: string;
  agent: string;
  status: string;
  usage: { inputTokens: number };
}

describe('REST API over a finished fake-agent session (real server, ephemeral port)', () => {
  let live: Live;
  const get = async (path: string, headers: Record<string, string> = live.auth) => raw(live.base, 'GET', path, headers);

  beforeAll(async () => {
    live = await liveSession(happyRules());
    const summary = await live.handle.settled();
    expect(summary.state).toBe('completed');
  }, 60_000);
  afterAll(async () => live.close());

  it('GET /health needs no token', async () => {
    const r = await get('/health', {});
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ status: 'ok' });
  });

  it('GET /api/session, /api/sessions and the scoped form describe the session', async () => {
    const id = live.handle.sessionId;
    const one = (await get('/api/session')).json() as { id: string; state: string; status: string; tier: number; live: boolean; tasksTotal: number };
    expect(one).toMatchObject({ id, state: 'completed', status: 'completed', tier: 1, live: true, tasksTotal: 2 });
    expect((await get(`/api/sessions/${id}/session`)).json()).toEqual(one);
    const all = (await get('/api/sessions')).json() as { id: string }[];
    expect(all.map((s) => s.id)).toEqual([id]);
  });

  it('GET /api/workers: role, agent, state, tokens, last activity per worker', async () => {
    const workers = (await get('/api/workers')).json() as Worker[];
    const byId = Object.fromEntries(workers.map((w) => [w.workerId, w]));
    expect(byId.architect).toMatchObject({ role: 'architect', agent: 'gemini', status: 'exited' });
    expect(byId.implementer).toMatchObject({ role: 'implementer', agent: 'claude', status: 'exited' });
    expect(byId.implementer?.usage.inputTokens).toBeGreaterThan(0);
    expect(byId['review-1/codex']).toMatchObject({ role: 'reviewer', agent: 'codex' });
  });

  it("GET /api/reviews and /api/decisions: each reviewer's verdict, each decision's reasons", async () => {
    const reviews = (await get('/api/reviews')).json() as { reviewId: string; action: string; reviews: { reviewer: string; verdict: string; summary: string }[] }[];
    // In the order they were decided: the mid-run review-2 may finish after the phase review-3.
    expect(reviews.map((r) => r.reviewId).sort()).toEqual(['review-1', 'review-2', 'review-3', 'review-4', 'review-5']);
    expect(reviews[0]?.reviews.map((r) => [r.reviewer, r.verdict, r.summary]).sort()).toEqual([
      ['codex', 'approved', 'Looks good.'],
      ['gemini', 'approved', 'Looks good.'],
    ]);
    const decisions = (await get('/api/decisions')).json() as { action: string; reasons: string[] }[];
    expect(decisions.map((d) => d.action)).toEqual(['CONTINUE', 'CONTINUE', 'CONTINUE', 'CONTINUE', 'CONTINUE']);
    expect(decisions[0]?.reasons[0]).toMatch(/approved/);
  });

  it('GET /api/recovery, /api/summary, /api/statechart, /api/events', async () => {
    expect((await get('/api/recovery')).json()).toEqual([]);
    const summary = (await get('/api/summary')).json() as { session: { state: string }; workers: unknown[]; decisions: unknown[]; statechart: { chart: { id: string }; active: string[] } };
    expect(summary.session.state).toBe('completed');
    expect(summary.decisions).toHaveLength(5);
    expect(summary.statechart.chart.id).toBe('session');
    expect(summary.statechart.active).toEqual(['session', 'session.completed']);
    const page = (await get('/api/events?after=2&limit=3')).json() as { seq: number }[];
    expect(page.map((e) => e.seq)).toEqual([3, 4, 5]);
    const states = (await get('/api/events?limit=1000&type=session.state')).json() as { payload: { state: string } }[];
    expect(states.at(-1)?.payload.state).toBe('completed');
  });

  it('GET /metrics: events by type and agent, decisions, workers, tokens (Prometheus text)', async () => {
    const r = await get('/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/plain/);
    expect(r.body).toMatch(/orchestrate_events_total\{type="status",agent="claude"\} [1-9]/);
    expect(r.body).toMatch(/orchestrate_decisions_total\{action="CONTINUE"\} 5/);
    expect(r.body).toMatch(/orchestrate_workers\{role="implementer",state="exited"\} 1/);
    expect(r.body).toMatch(/orchestrate_tokens_total\{agent="claude",kind="input"\} [1-9]/);
    expect(r.body).toMatch(/orchestrate_recoveries_total/);
  });

  it('GET /api/openapi.json documents the routes', async () => {
    const doc = (await get('/api/openapi.json')).json() as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    for (const p of ['/api/session', '/api/workers', '/api/events/stream', '/api/control/{action}', '/api/sessions/{id}/summary', '/metrics']) expect(Object.keys(doc.paths)).toContain(p);
  });

  it('the dashboard page and its assets are served; nothing outside its folder', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/<title>orchestrate/);
    expect((await get('/assets/app.js')).status).toBe(200);
    for (const path of ['/assets/../app.js', '/assets/%2e%2e/app.js', '/assets/..%2f..%2fpackage.json', '/assets/../../../package.json']) {
      const r = await get(path);
      expect([403, 404], path).toContain(r.status);
    }
  });

  it('unknown sessions and routes are 404 with a message', async () => {
    const r = await get('/api/sessions/nope/workers');
    expect(r.status).toBe(404);
    expect(r.json()).toMatchObject({ error: 'unknown_session' });
    expect((await get('/api/sessions/bad%20id/workers')).status).toBe(400);
    expect((await get('/api/nothing')).status).toBe(404);
  });
});
