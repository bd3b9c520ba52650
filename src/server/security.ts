import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const TOKEN_COOKIE = 'orchestrate_token';
export const TOKEN_HEADER = 'x-orchestrate-token';

export const newToken = (): string => randomBytes(24).toString('base64url');

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The token a request carries: `Authorization: Bearer`, the header, or the dashboard's cookie. */
function presented(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length).trim();
  const header = req.headers[TOKEN_HEADER];
  if (typeof header === 'string') return header;
  return req.cookies[TOKEN_COOKIE];
}

/** The names this server answers to: loopback names, plus the bound host when it is another. */
export function allowedHosts(host: string, port: number): Set<string> {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]']);
  if (!['0.0.0.0', '::'].includes(host)) names.add(host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);
  return new Set([...names].map((n) => `${n}:${port}`));
}

function reject(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
  return reply.code(status).send({ error, message });
}

/**
 * Every request: its Host must be this server's own (DNS rebinding), an Origin, when sent, must
 * be this server's (cross-site requests, WebSocket hijacking), and everything but /health needs
 * the token. A dashboard URL's `?token=` is exchanged for an HttpOnly, SameSite=Strict cookie.
 */
export function installGuards(app: FastifyInstance, o: { token: string; hosts: () => Set<string> }): void {
  app.addHook('onRequest', async (req, reply) => {
    const hosts = o.hosts();
    const host = req.headers.host ?? '';
    if (!hosts.has(host)) return reject(reply, 421, 'host_not_allowed', `Host "${host}" is not this server; use http://${[...hosts][0] ?? ''}/`);
    const origin = req.headers.origin;
    if (origin !== undefined && !(origin.startsWith('http://') && hosts.has(origin.slice('http://'.length)))) {
      return reject(reply, 403, 'origin_not_allowed', `requests from origin "${origin}" are not accepted`);
    }
    const path = req.url.split('?')[0] ?? '';
    if (path === '/health') return undefined;
    const query = req.query as Record<string, unknown> | undefined;
    if (path === '/' && typeof query?.token === 'string' && same(query.token, o.token)) {
      // The token leaves the address bar (and the history) for a cookie scripts cannot read.
      reply.setCookie(TOKEN_COOKIE, o.token, { httpOnly: true, sameSite: 'strict', path: '/' });
      return reply.redirect('/', 303);
    }
    const token = presented(req);
    if (token === undefined) return reject(reply, 401, 'token_required', 'this server needs its access token: open the dashboard URL printed at start, or send "Authorization: Bearer <token>"');
    if (!same(token, o.token)) return reject(reply, 401, 'token_invalid', 'the access token does not match this server (each server start prints a new one)');
    return undefined;
  });
}
