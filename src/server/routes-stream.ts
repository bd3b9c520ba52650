import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { SessionRegistry } from './registry.js';
import { eventOf } from './routes-control.js';
import { SessionParams, SinceQuery, WsControl, WsStreamQuery, schemaOf } from './schemas.js';
import { copyRun, envelopeBytes, follow, frameOf, runBytes, type FlowLimits, type Run, type Transport } from './stream.js';

export interface StreamStats {
  connected: number;
  dropped: number;
  onDrop?: ((reason: string) => void) | undefined;
}

/** Which session a stream request means, or a 4xx already sent. */
function sessionOf(registry: SessionRegistry, req: FastifyRequest): string | { status: number; error: string; message: string } {
  const id = (req.params as Partial<SessionParams>).id ?? registry.defaultId();
  if (id === undefined) return { status: 404, error: 'no_session', message: 'the store has no session yet' };
  if (!registry.record(id)) return { status: 404, error: 'unknown_session', message: `no session "${id}"` };
  return id;
}

/** SSE's `Last-Event-ID` wins over `?since=`: it is what the browser sends when it reconnects by itself. */
function sinceOf(req: FastifyRequest): number | string {
  const header = req.headers['last-event-id'];
  if (header === undefined) return (req.query as SinceQuery).since ?? 0;
  const n = Number(header);
  return Number.isInteger(n) && n >= 0 ? n : `Last-Event-ID must be a non-negative integer (got "${String(header)}")`;
}

function wsControl(registry: SessionRegistry, id: string, data: Buffer): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8'));
  } catch {
    return { type: 'control.error', error: 'bad_json', message: 'messages are JSON: {"type":"control","action":"pause"}' };
  }
  const parsed = WsControl.safeParse(json);
  if (!parsed.success) return { type: 'control.error', error: 'invalid_request', message: parsed.error.issues.map((i) => `${i.path.join('.') || 'message'}: ${i.message}`).join('; ') };
  const event = eventOf(parsed.data.action, parsed.data);
  if (typeof event === 'string') return { type: 'control.error', error: 'bad_request', message: event };
  const result = registry.control(id, event);
  if ('kind' in result) return { type: 'control.error', error: result.kind, message: result.message };
  return { type: 'control.result', accepted: true, sessionId: id, event: event.type, state: result.state };
}

/**
 * Holds a socket's writes until the end of the current turn: the event writer publishes a whole
 * committed batch in one turn, and without this every envelope to every client is its own
 * write system call (the pipeline benchmark spent 40% of its CPU in writev).
 */
export function corkPerTurn(stream: { cork(): void; uncork(): void; destroyed?: boolean }): () => void {
  let corked = false;
  return () => {
    if (corked || stream.destroyed) return;
    corked = true;
    stream.cork();
    process.nextTick(() => {
      corked = false;
      stream.uncork();
    });
  };
}

/**
 * Collects what one turn sends to a client and hands it over in one piece at the end of the turn.
 * Per message, a WebSocket frame and a stream write cost more than the envelope's bytes (ws
 * framing and write requests, times every client): a turn's batch goes out as one.
 */
export class TurnBatch<T> {
  /** Parts as they were handed in: usually one per turn, passed on as it is (clients share it). */
  private parts: T[] = [];
  private bytes = 0;

  constructor(private readonly flush: (parts: readonly T[]) => void) {}

  add(part: T, bytes: number): void {
    if (this.parts.length === 0) process.nextTick(() => this.send());
    this.parts.push(part);
    this.bytes += bytes;
  }

  /** Bytes collected and not yet handed over (counted against the client's limit too). */
  get pending(): number {
    return this.bytes;
  }

  /** Hands over what is collected now (before a drop: what was counted as sent must go out first). */
  send(): void {
    const parts = this.parts;
    if (parts.length === 0) return;
    this.parts = [];
    this.bytes = 0;
    this.flush(parts);
  }
}

/** A run as server-sent events, `id: <seq>` and `data: <envelope>` each, in one buffer written from the batch's bytes. */
function sseEvents(run: Run): Buffer {
  const { batch, from, to } = run;
  const ids = batch.entries.slice(from, to).map((e) => `id: ${e.seq}\ndata: `);
  // The run's bytes count the commas between envelopes too: a few bytes more than needed.
  let size = runBytes(run);
  for (const id of ids) size += id.length + 2;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  ids.forEach((id, k) => {
    at += out.write(id, at, 'latin1');
    at += copyRun({ batch, from: from + k, to: from + k + 1 }, out, at);
    out[at++] = 0x0a;
    out[at++] = 0x0a;
  });
  return out.subarray(0, at);
}

export function registerStreamRoutes(app: FastifyInstance, registry: SessionRegistry, limits: FlowLimits, stats: StreamStats): void {
  const dropped = (reason: string): void => {
    stats.dropped += 1;
    app.log.warn({ reason }, 'stream client dropped');
    stats.onDrop?.(reason);
  };

  const websocket = (socket: WebSocket, req: FastifyRequest): void => {
    const id = sessionOf(registry, req);
    if (typeof id !== 'string') {
      socket.close(4404, id.message.slice(0, 120));
      return;
    }
    const cork = corkPerTurn(req.raw.socket);
    // batch=1: one frame per turn, a JSON array of that turn's envelopes.
    const frames = (req.query as WsStreamQuery).batch
      ? new TurnBatch<Run>((runs) => {
          if (socket.readyState === socket.OPEN) socket.send(frameOf(runs), { binary: false });
        })
      : undefined;
    const client: Transport = {
      buffered: () => socket.bufferedAmount + (frames?.pending ?? 0),
      send: (run) => {
        if (frames) {
          frames.add(run, runBytes(run));
          return;
        }
        cork();
        for (let i = run.from; i < run.to; i++) socket.send(envelopeBytes(run.batch, i), { binary: false });
      },
      drop: (reason) => {
        dropped(reason);
        // The reason's since= counts what the cursor handed over, so that goes out before the close.
        frames?.send();
        // 1013 "try again later"; a client that reads nothing never completes the close handshake.
        socket.close(1013, reason.slice(0, 120));
        setTimeout(() => socket.terminate(), 1000).unref();
      },
    };
    // Messages from the client are controls, answered on the same socket (not envelopes: no seq).
    socket.on('message', (data: Buffer) => socket.send(JSON.stringify(wsControl(registry, id, data))));
    stats.connected += 1;
    const { stop } = follow(registry, id, (req.query as SinceQuery).since ?? 0, client, limits);
    socket.on('close', () => {
      stats.connected -= 1;
      stop();
    });
    socket.on('error', (error) => app.log.warn({ err: error }, 'websocket error'));
  };

  const sse = (req: FastifyRequest, reply: FastifyReply): FastifyReply | undefined => {
    const id = sessionOf(registry, req);
    if (typeof id !== 'string') return reply.code(id.status).send({ error: id.error, message: id.message });
    const since = sinceOf(req);
    if (typeof since === 'string') return reply.code(400).send({ error: 'bad_last_event_id', message: since });
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    const events = new TurnBatch<Buffer>((parts) => {
      if (!res.writableEnded && !res.destroyed) res.write(parts.length === 1 ? parts[0] : Buffer.concat(parts));
    });
    const client: Transport = {
      buffered: () => res.writableLength + events.pending,
      send: (run) => {
        const bytes = sseEvents(run);
        events.add(bytes, bytes.length);
      },
      drop: (reason) => {
        dropped(reason);
        events.send();
        res.end(`event: dropped\ndata: ${JSON.stringify({ reason })}\n\n`);
        setTimeout(() => res.destroy(), 1000).unref();
      },
    };
    stats.connected += 1;
    const { stop } = follow(registry, id, since, client, limits);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    keepAlive.unref();
    res.on('close', () => {
      stats.connected -= 1;
      clearInterval(keepAlive);
      stop();
    });
    return undefined;
  };

  const streamSchema = { querystring: SinceQuery, tags: ['stream'] };
  const wsSchema = { querystring: WsStreamQuery, tags: ['stream'] };
  app.get('/api/ws', { websocket: true, schema: schemaOf({ ...wsSchema, summary: 'WebSocket: {seq, sessionId, type, payload} per committed entry, from ?since= (live session, else newest); ?batch=1: one JSON array of envelopes per frame' }) }, websocket);
  app.get('/api/sessions/:id/ws', { websocket: true, schema: schemaOf({ ...wsSchema, params: SessionParams, summary: 'WebSocket stream of one session (?since=, ?batch=1)' }) }, websocket);
  app.get('/api/events/stream', { schema: schemaOf({ ...streamSchema, summary: 'SSE: the same envelopes with id: <seq>; honours Last-Event-ID' }) }, sse);
  app.get('/api/sessions/:id/events/stream', { schema: schemaOf({ ...streamSchema, params: SessionParams, summary: 'SSE stream of one session' }) }, sse);
}
