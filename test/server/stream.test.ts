import { request } from 'node:http';
import { connect } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { SqliteStore } from '../../src/persistence/sqlite/store.js';
import type { LogEntry } from '../../src/persistence/types.js';
import type { SessionBus } from '../../src/runtime/recorder.js';
import { startServer, type RunningServer } from '../../src/server/listen.js';
import { SessionRegistry, type LiveSession } from '../../src/server/registry.js';
import { Cursor, envelopeOf, frameOf, type Run, type Transport } from '../../src/server/stream.js';
import { encodeBatch } from '../../src/protocol/envelope.js';
import { entry, session } from '../persistence/store-contract.js';
import { tempDir } from '../helpers/fake-agents.js';
import { liveSession, slowRules, until, type Live } from './server-helpers.js';

interface Env {
  seq: number;
  sessionId: string;
  type: string;
  payload: { text: string };
}

/** A WebSocket client that records every envelope's seq. */
function wsClient(url: string, token: string): { seqs: number[]; ws: WebSocket; closed: Promise<{ code: number; reason: string }> } {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  const seqs: number[] = [];
  ws.on('message', (data: Buffer) => seqs.push((JSON.parse(data.toString()) as Env).seq));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return { seqs, ws, closed };
}

/** A WebSocket client with ?batch=1: every frame is an array of envelopes; records each frame's seqs. */
function wsBatchClient(url: string, token: string): { frames: number[][]; ws: WebSocket } {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  const frames: number[][] = [];
  ws.on('message', (data: Buffer) => {
    const parsed = JSON.parse(data.toString()) as unknown;
    frames.push(Array.isArray(parsed) ? (parsed as Env[]).map((e) => e.seq) : [Number.NaN]);
  });
  return { frames, ws };
}

/** An SSE client on a raw request: records `id:` lines and can be cut off at any time. */
function sseClient(base: string, path: string, headers: Record<string, string>): { ids: number[]; dataSeqs: number[]; stop: () => void } {
  const ids: number[] = [];
  const dataSeqs: number[] = [];
  const url = new URL(path, base);
  let buffer = '';
  const req = request({ host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, headers }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      const blocks = buffer.split('\n\n');
      buffer = blocks.pop() ?? '';
      for (const block of blocks) {
        const id = /^id: (\d+)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (id && data) {
          ids.push(Number(id));
          dataSeqs.push((JSON.parse(data) as Env).seq);
        }
      }
    });
  });
  req.on('error', () => undefined);
  req.end();
  return { ids, dataSeqs, stop: () => req.destroy() };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('live stream over a fake-agent session: reconnects see no gap and no duplicate', () => {
  let live: Live;
  beforeAll(async () => {
    live = await liveSession(slowRules(40));
  }, 60_000);
  afterAll(async () => live.close());

  it('a WebSocket client that disconnects mid-session and reconnects with ?since= gets exactly the missing events; SSE with Last-Event-ID too', async () => {
    const id = live.handle.sessionId;
    const wsBase = `ws://127.0.0.1:${live.server.port}`;
    const first = wsClient(`${wsBase}/api/ws`, live.server.token);
    const sse1 = sseClient(live.base, `/api/sessions/${id}/events/stream`, { ...live.auth });
    expect(await until(() => first.seqs.length >= 8 && sse1.ids.length >= 5)).toBe(true);
    first.ws.close();
    sse1.stop();
    await first.closed;
    const gotWs = [...first.seqs];
    const gotSse = [...sse1.ids];
    const lastWs = gotWs.at(-1) ?? 0;
    const lastSse = gotSse.at(-1) ?? 0;
    // The session goes on while they are away.
    expect(await until(() => live.store.lastSeq(id) > Math.max(lastWs, lastSse) + 10)).toBe(true);
    const second = wsClient(`${wsBase}/api/sessions/${id}/ws?since=${lastWs}`, live.server.token);
    const sse2 = sseClient(live.base, `/api/events/stream`, { ...live.auth, 'last-event-id': String(lastSse) });
    const summary = await live.handle.settled();
    expect(summary.state).toBe('completed');
    const total = live.store.lastSeq(id);
    expect(await until(() => second.seqs.at(-1) === total && sse2.ids.at(-1) === total)).toBe(true);
    expect([...gotWs, ...second.seqs]).toEqual(range(1, total));
    expect([...gotSse, ...sse2.ids]).toEqual(range(1, total));
    expect(sse2.dataSeqs).toEqual(sse2.ids);
    second.ws.close();
    sse2.stop();
  });

  it('?batch=1 sends the envelopes of a turn as one JSON array frame: a replay arrives in few frames, then live ones follow, every seq once and in order', async () => {
    const id = live.handle.sessionId;
    const total = live.store.lastSeq(id);
    expect(total).toBeGreaterThan(20);
    const batched = wsBatchClient(`ws://127.0.0.1:${live.server.port}/api/sessions/${id}/ws?since=0&batch=1`, live.server.token);
    expect(await until(() => batched.frames.flat().at(-1) === total)).toBe(true);
    expect(batched.frames.flat()).toEqual(range(1, total));
    // The replay is read from the store a page at a time, each page one frame.
    expect(batched.frames.length).toBeLessThan(total / 10);
    batched.ws.close();
    // A batch value that means nothing is refused before the upgrade, with the reason.
    const refused = new WebSocket(`ws://127.0.0.1:${live.server.port}/api/sessions/${id}/ws?batch=maybe`, { headers: { authorization: `Bearer ${live.server.token}` } });
    const status = await new Promise<number>((resolve) => {
      refused.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      refused.on('open', () => resolve(101));
    });
    expect(status).toBe(400);
  });
});

describe('slow clients are dropped with a reason, never buffered without limit', () => {
  let store: SqliteStore;
  let server: RunningServer;
  const bus: SessionBus = new EventEmitter();
  const drops: string[] = [];
  const sessionId = 'orch_slow_client';

  beforeAll(async () => {
    const dir = tempDir('orch-slow-');
    mkdirSync(join(dir, 'ws'));
    store = new SqliteStore(join(dir, 'ws', 'orchestrate.db'));
    const now = new Date().toISOString();
    store.create({ id: sessionId, task: 't', target: dir, workspace: dir, sessionDir: dir, status: 'implementing', tier: 1, roles: { architect: 'gemini', implementer: 'claude', reviewer: 'codex' }, config: {}, tokens: {}, createdAt: now, updatedAt: now });
    const registry = new SessionRegistry(store);
    // Only the bus is used by the stream; the statechart is not involved here.
    registry.attach({ sessionId, bus, actor: undefined as never, send: () => undefined } satisfies LiveSession);
    const started = await startServer({ registry, host: '127.0.0.1', port: 0, limits: { maxBufferedBytes: 256 * 1024 }, onStreamDrop: (r) => drops.push(r) });
    if ('kind' in started) throw new Error(started.message);
    server = started;
  });
  afterAll(async () => {
    await server.close();
    store.close();
  });

  /** Commits entries of 32 KiB each and publishes them, as the recorder does. */
  async function produce(n: number): Promise<void> {
    const big = 'x'.repeat(32 * 1024);
    for (let i = 0; i < n; i += 10) {
      const entries: LogEntry[] = store.append(
        Array.from({ length: 10 }, () => ({ sessionId, type: 'progress', agent: 'claude', workerId: 'implementer', attempt: 1, timestamp: new Date().toISOString(), payload: { text: big } })),
      );
      bus.emit('entries', entries);
      await new Promise((r) => setImmediate(r));
    }
  }

  it('a WebSocket client and an SSE client that stop reading are dropped (with since= in the reason) and the server lets go of them', async () => {
    const start = store.lastSeq(sessionId);
    const key = Buffer.from('0123456789abcdef').toString('base64');
    const ws = connect(server.port, '127.0.0.1');
    ws.write(`GET /api/ws?since=${start} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nAuthorization: Bearer ${server.token}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    const sse = connect(server.port, '127.0.0.1');
    sse.write(`GET /api/events/stream?since=${start} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nAuthorization: Bearer ${server.token}\r\n\r\n`);
    // Neither ever reads: the kernel buffers fill, then the server's.
    ws.pause();
    sse.pause();
    expect(await until(() => server.stats.connected === 2)).toBe(true);
    const total = 2000;
    await produce(total);
    expect(await until(() => drops.length === 2)).toBe(true);
    for (const reason of drops) expect(reason).toMatch(/client too slow: more than 262144 bytes unsent; reconnect with since=\d+/);
    // Each was dropped long before the 64 MB it would otherwise have queued.
    for (const reason of drops) expect(Number(/since=(\d+)/.exec(reason)?.[1]) - start).toBeLessThan(total / 2);
    expect(await until(() => server.stats.connected === 0)).toBe(true);
    ws.destroy();
    sse.destroy();
    const metrics = await fetch(`http://127.0.0.1:${server.port}/metrics`, { headers: { authorization: `Bearer ${server.token}` } });
    expect(await metrics.text()).toMatch(/orchestrate_stream_clients_dropped_total 2/);
  });
});

describe('batch frames', () => {
  const logged = (seq: number): LogEntry => ({ seq, sessionId: 's', type: 'status', agent: 'claude', workerId: 'implementer', attempt: 1, timestamp: '2026-11-24T00:00:00.000Z', payload: { kind: 'agent.message', text: `m${seq} "quoted"` } });

  const whole = (entries: LogEntry[]): Run[] => [{ batch: encodeBatch(entries), from: 0, to: entries.length }];

  it('are the JSON array of the envelopes: a client that takes the whole batch gets its bytes, made once for all', () => {
    const entries = [1, 2, 3].map(logged);
    const a = frameOf(whole(entries));
    const b = frameOf(whole(entries));
    expect(b).toBe(a);
    expect((JSON.parse(a.toString('utf8')) as Env[]).map((e) => [e.seq, e.payload.text])).toEqual([
      [1, 'm1 "quoted"'],
      [2, 'm2 "quoted"'],
      [3, 'm3 "quoted"'],
    ]);
    // A client at another position gets its own run.
    const shorter = frameOf([{ batch: encodeBatch(entries), from: 1, to: 3 }]);
    expect(shorter).not.toBe(a);
    expect((JSON.parse(shorter.toString('utf8')) as Env[]).map((e) => e.seq)).toEqual([2, 3]);
    // Runs of several batches (a turn that got two) are one array.
    const later = [4, 5].map(logged);
    const two = frameOf([{ batch: encodeBatch(entries), from: 2, to: 3 }, { batch: encodeBatch(later), from: 0, to: 2 }, { batch: encodeBatch(later), from: 2, to: 2 }]);
    expect((JSON.parse(two.toString('utf8')) as Env[]).map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(frameOf([]).toString()).toBe('[]');
  });

  it('carry any text exactly: accents, an ellipsis, emoji, a lone surrogate, the empty string', () => {
    const texts = ['plain', 'héllo wörld', 'cut… → next', '😀 done 👍🏽', 'bad \ud800 half', '', '"\\\n'];
    // Fields that repeat and change from one entry to the next (their literals are remembered).
    const entries = texts.map((text, i) => ({
      ...logged(i + 1),
      type: i % 3 === 0 ? 'status' : 'progress',
      agent: i < 3 ? 'claude' : 'codex',
      sessionId: i === 4 ? 'other "session"' : 's',
      timestamp: `2026-11-24T00:00:0${i % 2}.000Z`,
      payload: { kind: 'agent.message', text },
    }));
    const frame = frameOf(whole(entries));
    expect(frame.equals(Buffer.from(JSON.stringify(entries.map(envelopeOf)), 'utf8'))).toBe(true);
    expect((JSON.parse(frame.toString('utf8')) as Env[]).map((e) => e.payload.text)).toEqual(texts);
  });
});

describe('a cursor fed committed batches from the bus', () => {
  const limits = { maxBufferedBytes: 1 << 20, stallMs: 5_000, pollMs: 60_000 };
  const seqsOf = (run: Run | undefined): number[] => (run ? run.batch.entries.slice(run.from, run.to).map((e) => e.seq) : []);
  function recorder(): Transport & { sends: Run[]; seqs: () => number[] } {
    const sends: Run[] = [];
    return { sends, seqs: () => sends.flatMap(seqsOf), buffered: () => 0, send: (run) => sends.push(run), drop: () => expect.fail('dropped') };
  }
  let store: SqliteStore;
  beforeAll(() => {
    store = new SqliteStore(join(tempDir('cursor-batches'), 'o.db'));
    store.create(session('c'));
  });
  afterAll(() => store.close());

  it('takes a batch that starts where it is in one send, the same envelopes for every client, and skips what it had', async () => {
    const first = store.append([entry('c', 'a'), entry('c', 'b')]);
    const [x, y] = [recorder(), recorder()];
    const cursors = [new Cursor(store, 'c', 0, x, limits), new Cursor(store, 'c', 0, y, limits)];
    for (const c of cursors) await c.replay();
    expect(x.seqs()).toEqual(first.map((e) => e.seq));
    const batch = store.append([entry('c', 'c'), entry('c', 'd'), entry('c', 'e')]);
    for (const c of cursors) c.offer(batch);
    expect(seqsOf(x.sends.at(-1))).toEqual(batch.map((e) => e.seq));
    // Both clients are handed the batch encoded once (the one frame they share).
    expect(y.sends.at(-1)?.batch).toBe(x.sends.at(-1)?.batch);
    // Offered again with one more entry: only the new one goes out.
    const more = [...batch, ...store.append([entry('c', 'f')])];
    cursors[0]?.offer(more);
    expect(x.seqs()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reads a gap from the store, and passes over an old entry a retried append handed back', async () => {
    const x = recorder();
    const cursor = new Cursor(store, 'c', 0, x, limits);
    await cursor.replay();
    const at = cursor.position;
    const keyed = store.append([entry('c', 'once', 'k')]);
    // Not offered: this cursor sees the next batch with a gap before it.
    const next = store.append([entry('c', 'g')]);
    cursor.offer(next);
    await until(() => cursor.position === next[0]?.seq);
    expect(x.seqs().slice(-2)).toEqual([at + 1, at + 2]);
    // A batch whose middle entry is the stored one of a retry (an older seq).
    const retried = store.append([entry('c', 'h'), entry('c', 'once', 'k'), entry('c', 'i')]);
    expect(retried.map((e) => e.seq)).toEqual([at + 3, keyed[0]?.seq, at + 4]);
    cursor.offer(retried);
    expect(x.seqs()).toEqual(Array.from({ length: at + 4 }, (_, i) => i + 1));
  });
});
