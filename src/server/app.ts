import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { distPath } from '../package-root.js';
import { createMetrics } from './metrics.js';
import type { SessionRegistry } from './registry.js';
import { registerControlRoutes } from './routes-control.js';
import { registerReadRoutes } from './routes-api.js';
import { registerInspectRoutes } from './routes-inspect.js';
import { registerStreamRoutes, type StreamStats } from './routes-stream.js';
import { installZodValidation, schemaOf } from './schemas.js';
import { allowedHosts, installGuards } from './security.js';
import type { FlowLimits } from './stream.js';

/** The dashboard's own folder: the only files this server ever serves. */
export const DASHBOARD_DIR = distPath('server', 'dashboard');
const ELK_DIR = dirname(createRequire(import.meta.url).resolve('elkjs/lib/elk.bundled.js'));

export interface ServerOptions {
  registry: SessionRegistry;
  token: string;
  /** The address it is bound to (decides which Host names are accepted). */
  host: string;
  bodyLimitBytes?: number;
  limits?: Partial<FlowLimits>;
  onStreamDrop?: (reason: string) => void;
}

const DEFAULT_LIMITS: FlowLimits = { maxBufferedBytes: 4 * 1024 * 1024, stallMs: 30_000, pollMs: 250 };

export interface BuiltServer {
  app: FastifyInstance;
  stats: StreamStats;
}

export async function buildServer(o: ServerOptions): Promise<BuiltServer> {
  // Live streams never end by themselves: closing the server must cut them, not wait for them.
  const app = Fastify({ bodyLimit: o.bodyLimitBytes ?? 16 * 1024, logger: false, return503OnClosing: true, forceCloseConnections: true });
  const stats: StreamStats = { connected: 0, dropped: 0, onDrop: o.onStreamDrop };
  const limits = { ...DEFAULT_LIMITS, ...o.limits };
  installZodValidation(app);
  // JSON only: a form or text body is a 415, not something to guess at.
  app.removeContentTypeParser('text/plain');
  // Client mistakes are 4xx with the reason; only a bug in the server is a 500, and then without internals.
  app.setErrorHandler((error: FastifyError, req, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) req.log.error({ err: error }, 'request failed');
    const code = error.validation ? 'invalid_request' : (error.code ?? 'error').toLowerCase();
    return reply.code(status).send({ error: code, message: status === 500 ? 'internal error (see the orchestrator log)' : error.message });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0] ?? ''}` }));

  await app.register(fastifyCookie);
  // Before the guards: its own onRequest hook marks upgrade requests, so that a refused upgrade's
  // socket is destroyed after the error answer (otherwise it stays open and close() waits on it).
  await app.register(fastifyWebsocket, { options: { maxPayload: 16 * 1024 } });
  const port = (): number => {
    const address = app.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  };
  installGuards(app, { token: o.token, port, hosts: () => allowedHosts(o.host, port()) });
  await app.register(fastifySwagger, { openapi: { info: { title: 'orchestrate', version: '1', description: 'REST, SSE and WebSocket API of the orchestrate server. Every route but /health needs the access token (Authorization: Bearer <token>).' } } });
  await app.register(fastifyStatic, { root: DASHBOARD_DIR, prefix: '/assets/', index: false, list: false, dotfiles: 'deny' });

  registerReadRoutes(app, o.registry);
  registerStreamRoutes(app, o.registry, limits, stats);
  registerControlRoutes(app, o.registry);
  registerInspectRoutes(app, o.registry, limits.maxBufferedBytes, stats);
  const metrics = createMetrics(o.registry, stats);
  app.get('/metrics', { schema: schemaOf({ summary: 'Prometheus metrics', tags: ['meta'] }) }, async (_req, reply) => reply.type(metrics.contentType).send(await metrics.metrics()));
  app.get('/api/openapi.json', { schema: schemaOf({ summary: 'this document', tags: ['meta'] }) }, () => app.swagger());
  app.get('/', { schema: schemaOf({ summary: 'the dashboard', tags: ['meta'] }) }, (_req, reply) => reply.header('cache-control', 'no-store').sendFile('index.html'));
  app.get('/inspect', { schema: schemaOf({ summary: 'the statechart inspector page', tags: ['meta'] }) }, (_req, reply) => reply.header('cache-control', 'no-store').sendFile('inspect.html'));
  // The graph layout engine for the inspector's drawings, served from the installed package (no network).
  app.get('/vendor/elk.js', { schema: schemaOf({ summary: 'elkjs, the layout engine the inspector draws with', tags: ['meta'] }) }, (_req, reply) => reply.header('cache-control', 'max-age=3600').sendFile('elk.bundled.js', ELK_DIR));
  return { app, stats };
}
