import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionRecord } from '../persistence/types.js';
import type { WorkerView } from '../view/session-view.js';
import type { SessionRegistry } from './registry.js';
import { EventsQuery, SessionParams, schemaOf } from './schemas.js';
import { CHARTS, activeIds } from '../inspect/charts.js';

const CHART = CHARTS.session;

type Handler = (id: string, req: FastifyRequest) => unknown;

/**
 * Registers `GET /api<path>` (the live session, else the newest) and `GET /api/sessions/:id<path>`.
 * An unknown session is a 404 with its id, never an empty answer.
 */
export function scopedGet(app: FastifyInstance, registry: SessionRegistry, path: string, summary: string, handler: Handler, extra: Parameters<typeof schemaOf>[0] = { summary }): void {
  const answer = (id: string | undefined, req: FastifyRequest, reply: FastifyReply): unknown => {
    if (id === undefined) return reply.code(404).send({ error: 'no_session', message: 'the store has no session yet' });
    if (!registry.record(id)) return reply.code(404).send({ error: 'unknown_session', message: `no session "${id}"` });
    return handler(id, req);
  };
  app.get(`/api${path}`, { schema: schemaOf({ ...extra, summary: `${summary} (the live session, else the newest)` }) }, (req, reply) => answer(registry.defaultId(), req, reply));
  app.get(`/api/sessions/:id${path}`, { schema: schemaOf({ ...extra, summary, params: SessionParams }) }, (req, reply) => answer((req.params as SessionParams).id, req, reply));
}

const sessionJson = (r: SessionRecord, live: boolean) => ({ id: r.id, task: r.task, target: r.target, status: r.status, tier: r.tier, roles: r.roles, tokens: r.tokens, createdAt: r.createdAt, updatedAt: r.updatedAt, live });

export function registerReadRoutes(app: FastifyInstance, registry: SessionRegistry): void {
  const isLive = (id: string): boolean => registry.liveSession(id) !== undefined;

  app.get('/health', { schema: schemaOf({ summary: 'liveness (no token needed)', tags: ['meta'] }) }, () => ({ status: 'ok' }));
  app.get('/api/sessions', { schema: schemaOf({ summary: 'every session in the store, newest first' }) }, () => registry.list().map((r) => sessionJson(r, isLive(r.id))));

  const session = (id: string) => {
    const record = registry.record(id) as SessionRecord;
    const view = registry.view(id);
    const m = registry.machineState(id);
    return { ...sessionJson(record, isLive(id)), state: view.state, lastSeq: view.lastSeq, waiting: view.waiting ?? null, plan: view.plan ?? null, tasksDone: m.taskIndex, tasksTotal: m.tasks.length };
  };
  const workers = (id: string): WorkerView[] => {
    const view = registry.view(id);
    const m = registry.machineState(id);
    const current = m.tasks[m.taskIndex];
    // The implementer's task comes from the statechart (which task it is on), its own todo list says less.
    return Object.values(view.workers).map((w) => (w.workerId === 'implementer' && current ? { ...w, currentTask: `${current.id}: ${current.title}`, progress: w.progress || Math.round((100 * m.taskIndex) / Math.max(1, m.tasks.length)) } : w));
  };
  const statechart = (id: string) => ({ chart: CHART, active: activeIds(CHART.id, registry.machineState(id).value) });

  scopedGet(app, registry, '/session', 'the session: task, status, tier, state, what it waits for', session);
  scopedGet(app, registry, '/workers', 'workers: role, agent, state, progress, current task, tokens, last activity', workers);
  scopedGet(app, registry, '/reviews', "reviews with each reviewer's verdict and summary", (id) => registry.view(id).reviews);
  scopedGet(app, registry, '/decisions', 'the decision policy outcomes with their reasons', (id) => registry.store.decisions(id));
  scopedGet(app, registry, '/recovery', 'permission recoveries and escalations', (id) => registry.store.recoveries(id));
  scopedGet(app, registry, '/confirmations', 'commands waiting for your confirmation (asked by the guard hook)', (id) => registry.view(id).confirmations);
  scopedGet(app, registry, '/statechart', 'the session statechart and its active states', statechart);
  scopedGet(app, registry, '/summary', 'everything above in one answer', (id) => {
    const view = registry.view(id);
    return { session: session(id), workers: workers(id), confirmations: view.confirmations, reviews: view.reviews, decisions: registry.store.decisions(id), recoveries: registry.store.recoveries(id), tokens: view.tokens, counts: view.counts, controls: view.controls, statechart: statechart(id) };
  });
  scopedGet(
    app,
    registry,
    '/events',
    'a page of the event log (after a seq, optionally one type or agent)',
    (id, req) => {
      const q = req.query as EventsQuery;
      const page = registry.store.read(id, { afterSeq: q.after, limit: q.limit });
      return page.filter((e) => (!q.type || e.type === q.type) && (!q.agent || e.agent === q.agent));
    },
    { summary: '', querystring: EventsQuery },
  );
}
