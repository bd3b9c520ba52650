import { randomBytes, timingSafeEqual } from 'node:crypto';
import { hostname, networkInterfaces } from 'node:os';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Cookies are not per port: each server's cookie carries its port, so two servers on one host do not log each other out. */
export const tokenCookie = (port: number): string => `orchestrate_token_${port}`;
export const TOKEN_HEADER = 'x-orchestrate-token';

export const newToken = (): string => randomBytes(24).toString('base64url');

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The token a request carries: `Authorization: Bearer`, the header, or the dashboard's cookie. */
function presented(req: FastifyRequest, cookie: string): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length).trim();
  const header = req.headers[TOKEN_HEADER];
  if (typeof header === 'string') return header;
  return req.cookies[cookie];
}

const bracket = (address: string): string => (address.includes(':') && !address.startsWith('[') ? `[${address}]` : address);

/**
 * The names this server answers to: loopback names, plus the bound address; bound to every
 * interface, the machine's own addresses and host name (never an arbitrary name: that is what a
 * DNS rebinding attack would send).
 */
export function allowedHosts(host: string, port: number): Set<string> {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]']);
  if (['0.0.0.0', '::'].includes(host)) {
    names.add(hostname());
    for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) names.add(bracket(i.address));
  } else names.add(bracket(host));
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
export function installGuards(app: FastifyInstance, o: { token: string; port: () => number; hosts: () => Set<string> }): void {
  app.addHook('onRequest', async (req, reply) => {
    const hosts = o.hosts();
    const cookie = tokenCookie(o.port());
    const host = req.headers.host ?? '';
    if (!hosts.has(host)) return reject(reply, 421, 'host_not_allowed', `Host "${host}" is not this server; use http://${[...hosts][0] ?? ''}/`);
    const origin = req.headers.origin;
    if (origin !== undefined && !(origin.startsWith('http://') && hosts.has(origin.slice('http://'.length)))) {
      return reject(reply, 403, 'origin_not_allowed', `requests from origin "${origin}" are not accepted`);
    }
    const path = req.url.split('?')[0] ?? '';
    if (path === '/health') return undefined;
    const query = req.query as Record<string, unknown> | undefined;
    if ((path === '/' || path === '/inspect') && typeof query?.token === 'string' && same(query.token, o.token)) {
      // The token leaves the address bar (and the history) for a cookie scripts cannot read.
      reply.setCookie(cookie, o.token, { httpOnly: true, sameSite: 'strict', path: '/' });
      const rest = new URLSearchParams(req.url.slice(path.length + 1));
      rest.delete('token');
      return reply.redirect(rest.size > 0 ? `${path}?${rest.toString()}` : path, 303);
    }
    const token = presented(req, cookie);
    if (token === undefined) return reject(reply, 401, 'token_required', 'this server needs its access token: open the dashboard URL printed at start, or send "Authorization: Bearer <token>"');
    if (!same(token, o.token)) return reject(reply, 401, 'token_invalid', 'the access token does not match this server (each server start prints a new one)');
    return undefined;
  });
}
