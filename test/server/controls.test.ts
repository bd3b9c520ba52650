import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { happyRules, verdict, type Rule } from '../helpers/session-fixture.js';
import { readAnswer, writeRequest } from '../../src/safety/confirmations.js';
import { raw } from './http.js';
import { liveSession, slowRules, until, type Live } from './server-helpers.js';

const planReview = (v: Parameters<typeof verdict>[0], reviewer: string): Rule => ({ match: { kind: 'review', cli: reviewer, promptIncludes: 'architect' }, times: 1, respond: verdict(v) });

async function waitsFor(live: Live, state: string): Promise<{ waiting: { kind: string; text: string } }> {
  await live.handle.settled();
  expect(live.handle.actor.getSnapshot().value).toBe(state);
  // The inbox comes from the log: the record of why it waits is committed by now.
  const session = (await raw(live.base, 'GET', '/api/session', live.auth)).json() as { waiting: { kind: string; text: string } };
  expect(session.waiting.kind).toBe(state);
  return session;
}

const control = (live: Live, action: string, body = '{}') => raw(live.base, 'POST', `/api/sessions/${live.handle.sessionId}/control/${action}`, { ...live.auth, 'content-type': 'application/json' }, body);

describe('answering the session over HTTP: escalations and clarifications (live fake-agent sessions)', () => {
  it('a blocker escalates; approve on the API goes on past that review and the session completes', async () => {
    const live = await liveSession([planReview('blocker', 'codex'), ...happyRules()]);
    try {
      const session = await waitsFor(live, 'escalated');
      expect(session.waiting.text).toMatch(/blocker/);
      expect((await control(live, 'clarify', '{"text":"no"}')).status).toBe(409);
      const r = await control(live, 'approve');
      expect(r.status, r.body).toBe(202);
      expect(await until(() => live.handle.actor.getSnapshot().value === 'completed', 60_000)).toBe(true);
      expect(live.store.records(live.handle.sessionId, 'control').map((e) => e.payload.text)).toEqual(['user.approve']);
    } finally {
      await live.close();
    }
  }, 90_000);

  it('reject on the API ends an escalated session as failed, with the reason', async () => {
    const live = await liveSession([planReview('blocker', 'codex'), ...happyRules()]);
    try {
      await waitsFor(live, 'escalated');
      const r = await control(live, 'reject', '{"reason":"not this way"}');
      expect(r.status, r.body).toBe(202);
      expect(live.handle.actor.getSnapshot().value).toBe('failed');
      const recorded = live.store.records(live.handle.sessionId, 'control')[0]?.payload.control;
      expect(recorded).toEqual({ type: 'user.reject', reason: 'not this way' });
    } finally {
      await live.close();
    }
  }, 90_000);

  it('two concerns ask for a clarification; the answer on the API (validated) lets the session go on to completion', async () => {
    const live = await liveSession([planReview('concern', 'codex'), planReview('concern', 'gemini'), ...happyRules()]);
    try {
      await waitsFor(live, 'awaitingClarification');
      expect((await control(live, 'clarify', '{"text":"   "}')).status).toBe(400);
      expect((await control(live, 'approve')).status).toBe(409);
      const r = await control(live, 'clarify', '{"text":"Keep it to one file."}');
      expect(r.status, r.body).toBe(202);
      expect(await until(() => live.handle.actor.getSnapshot().value === 'completed', 60_000)).toBe(true);
      expect(live.store.records(live.handle.sessionId, 'control')[0]?.payload.control).toEqual({ type: 'user.clarify', text: 'Keep it to one file.' });
    } finally {
      await live.close();
    }
  }, 90_000);

  it('controls also come over the WebSocket, answered on it: malformed and refused ones with a reason', async () => {
    const live = await liveSession(slowRules(150));
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${live.server.port}/api/ws?since=0`, { headers: live.auth });
      const answers: { type: string; error?: string; event?: string }[] = [];
      ws.on('message', (data: Buffer) => {
        const m = JSON.parse(data.toString()) as { type: string; seq?: number };
        if (m.type.startsWith('control.')) answers.push(m);
      });
      await new Promise((r) => ws.on('open', r));
      const ask = async (message: string) => {
        const n = answers.length;
        ws.send(message);
        expect(await until(() => answers.length > n)).toBe(true);
        return answers[n];
      };
      expect(await ask('pause!')).toMatchObject({ type: 'control.error', error: 'bad_json' });
      expect(await ask('{"type":"control","action":"explode"}')).toMatchObject({ type: 'control.error', error: 'invalid_request' });
      expect(await ask('{"type":"control","action":"clarify"}')).toMatchObject({ type: 'control.error', error: 'bad_request' });
      expect(await until(() => live.handle.actor.getSnapshot().matches('implementing'))).toBe(true);
      expect(await ask('{"type":"control","action":"pause"}')).toMatchObject({ type: 'control.result', event: 'user.pause' });
      expect(live.handle.actor.getSnapshot().value).toBe('paused');
      expect(await ask('{"type":"control","action":"pause"}')).toMatchObject({ type: 'control.error', error: 'not_accepted' });
      expect(await ask('{"type":"control","action":"stop"}')).toMatchObject({ type: 'control.result', event: 'user.stop' });
      expect((await live.handle.settled()).state).toBe('stopped');
      ws.close();
    } finally {
      await live.close();
    }
  }, 90_000);
});

describe('commands waiting for confirmation, answered over HTTP', () => {
  it('a held command shows up in the summary and /confirmations; approve writes the answer the guard waits for', async () => {
    const live = await liveSession(slowRules(300));
    try {
      const dir = live.handle.confirmations.dir;
      // What the guard hook of an agent does when a command needs confirmation.
      writeRequest(dir, { id: 'c-http-1', at: new Date().toISOString(), tool: 'Bash', subject: 'git push origin main', reason: 'git push needs confirmation', cli: 'claude', cwd: '/repo' });
      const pending = async () => (await raw(live.base, 'GET', `/api/sessions/${live.handle.sessionId}/confirmations`, live.auth)).json() as { id: string; subject: string }[];
      expect(await until(async () => (await pending()).length === 1)).toBe(true);
      expect((await pending())[0]).toMatchObject({ id: 'c-http-1', subject: 'git push origin main' });
      const answer = (body: string, cid = 'c-http-1') => raw(live.base, 'POST', `/api/sessions/${live.handle.sessionId}/confirmations/${cid}`, { ...live.auth, 'content-type': 'application/json' }, body);
      expect((await answer('{"approve":"yes"}')).status).toBe(400);
      expect((await answer('{"approve":true}', 'c-nope')).status).toBe(409);
      const r = await answer('{"approve":true}');
      expect(r.status, r.body).toBe(202);
      expect(readAnswer(dir, 'c-http-1')).toMatchObject({ approve: true, by: 'user' });
      expect((await answer('{"approve":false}')).status).toBe(409);
      expect(await until(async () => (await pending()).length === 0)).toBe(true);
      expect(live.store.records(live.handle.sessionId, 'confirmation.answered').map((e) => e.payload.approve)).toEqual([true]);
    } finally {
      await live.close();
    }
  }, 90_000);

  it('what a control did is in the log when it is accepted: the state it entered and why it waits', async () => {
    const live = await liveSession(slowRules());
    try {
      expect(await until(() => live.handle.actor.getSnapshot().matches('implementing'))).toBe(true);
      // No await between the control and the reads: a client reading right after the 202 sees this.
      live.handle.send({ type: 'user.pause' });
      expect(live.store.records(live.handle.sessionId, 'session.state').at(-1)?.payload.state).toBe('paused');
      expect(live.store.records(live.handle.sessionId, 'session.paused')).toHaveLength(1);
      live.handle.send({ type: 'user.resume' });
      expect(live.store.records(live.handle.sessionId, 'session.state').at(-1)?.payload.state).toMatch(/^implementing\./);
    } finally {
      await live.close();
    }
  }, 90_000);
});
