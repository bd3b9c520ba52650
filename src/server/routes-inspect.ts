import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { CHARTS, edgesOf } from '../inspect/charts.js';
import { followLines } from '../inspect/follow-file.js';
import type { InspectRecord } from '../inspect/live.js';
import { redact } from '../inspect/redact.js';
import { inspectReport } from '../inspect/report.js';
import { MACHINE_VERSION } from '../runtime/machine-version.js';
import type { SessionRegistry } from './registry.js';
import { scopedGet } from './routes-api.js';
import { InspectQuery, SessionParams, schemaOf } from './schemas.js';
import type { StreamStats } from './routes-stream.js';

/** Each chart with its drawable edges (computed once; the page lays them out). */
const MACHINE_CHARTS = Object.fromEntries(Object.entries(CHARTS).map(([name, chart]) => [name, { chart, edges: edgesOf(chart) }]));

/** The actor tree and active states: a live session's actor now, else its stored snapshot. */
function currentReport(registry: SessionRegistry, id: string) {
  const live = registry.liveSession(id);
  const stored = live ? undefined : registry.store.loadSnapshot(id);
  const snapshot = live ? live.actor.getPersistedSnapshot() : stored?.snapshot;
  if (snapshot === undefined) return null;
  const report = inspectReport({ sessionId: id, snapshot, machineVersion: stored?.machineVersion ?? MACHINE_VERSION, savedAt: stored?.updatedAt ?? new Date().toISOString() }, MACHINE_VERSION);
  if ('kind' in report) return { error: report.kind, message: report.message };
  const { charts: _charts, ...rest } = report;
  return rest;
}

/**
 * The statechart inspector: the charts, the actor tree with active states, the recorded
 * transitions (the event log's `machine.transition` entries, for time travel) and a WebSocket
 * of live inspection records.
 */
export function registerInspectRoutes(app: FastifyInstance, registry: SessionRegistry, maxBufferedBytes: number, stats: StreamStats): void {
  app.get('/api/machines', { schema: schemaOf({ summary: "orchestrate's statecharts (session, worker, review, recovery) from their definitions", tags: ['inspect'] }) }, () => MACHINE_CHARTS);
  scopedGet(app, registry, '/inspect', 'actor tree, active states and the recorded transitions of every actor', (id) => ({
    sessionId: id,
    live: registry.liveSession(id) !== undefined,
    inspectLog: existsSync(join(registry.record(id)?.sessionDir ?? '', 'inspect.jsonl')),
    current: currentReport(registry, id),
    transitions: registry.store.records(id, 'machine.transition').map((e) => ({ seq: e.seq, at: e.timestamp, ...e.payload })),
  }));

  const websocket = (socket: WebSocket, req: FastifyRequest): void => {
    const id = (req.params as Partial<SessionParams>).id ?? registry.defaultId();
    const record = id === undefined ? undefined : registry.record(id);
    if (id === undefined || !record) {
      socket.close(4404, id === undefined ? 'the store has no session yet' : `no session "${id}"`);
      return;
    }
    const q = req.query as InspectQuery;
    let stop = (): void => undefined;
    const send = (r: InspectRecord): void => {
      if (socket.bufferedAmount > maxBufferedBytes) {
        stats.dropped += 1;
        stop();
        socket.close(1013, `client too slow; reconnect with since=${r.n - 1}`);
        return;
      }
      socket.send(JSON.stringify(r));
    };
    const live = registry.liveSession(id)?.inspector;
    const file = join(record.sessionDir, 'inspect.jsonl');
    if (live) stop = live.subscribe(send, { since: q.since ?? 0, mode: q.mode });
    else if (existsSync(file)) {
      // Run by another process with --inspect: its file, redacted again when it was written in full.
      stop = followLines(
        file,
        (line) => {
          try {
            const r = JSON.parse(line) as InspectRecord;
            if (r.n > (q.since ?? 0)) send(q.mode === 'full' || r.event === undefined ? r : { ...r, event: redact(r.event) });
          } catch {
            app.log.warn({ file }, 'inspect.jsonl has a line that is not JSON; skipped');
          }
        },
        (e) => socket.close(1011, `${e.kind}: ${e.message}`.slice(0, 120)),
      );
    } else {
      socket.close(4409, `session ${id} is not run by this process and has no inspect.jsonl (run it with --inspect)`.slice(0, 120));
      return;
    }
    stats.connected += 1;
    socket.on('close', () => {
      stats.connected -= 1;
      stop();
    });
    socket.on('error', (error) => app.log.warn({ err: error }, 'inspector websocket error'));
  };
  const schema = { querystring: InspectQuery, tags: ['inspect'] };
  app.get('/api/inspect/ws', { websocket: true, schema: schemaOf({ ...schema, summary: 'WebSocket of live inspection records (actor, event, transition, snapshot), events redacted unless mode=full' }) }, websocket);
  app.get('/api/sessions/:id/inspect/ws', { websocket: true, schema: schemaOf({ ...schema, params: SessionParams, summary: 'the inspection WebSocket of one session' }) }, websocket);
}
