import { waitFor } from 'xstate';
import type { Writable } from 'node:stream';
import type { Store } from '../persistence/types.js';
import type { SessionHandle, SessionSummary } from '../runtime/run-session.js';
import { startServer, type RunningServer } from '../server/listen.js';
import { SessionRegistry } from '../server/registry.js';

export interface DashboardOptions {
  port?: number | undefined;
  host?: string | undefined;
}

export interface Dashboard {
  server: RunningServer;
  /**
   * A pause pressed on the dashboard is waited out (resume or stop it there) rather than ending
   * the run; with `always` (the terminal UI was quit) so is every wait for the user.
   */
  keepWaiting(summary: SessionSummary, handle: SessionHandle, always?: boolean): Promise<boolean>;
  close(): Promise<void>;
}

export const DEFAULT_PORT = 8000;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
type Wait = 'escalated' | 'awaitingClarification' | 'paused';
const WAITS: readonly string[] = ['escalated', 'awaitingClarification', 'paused'] satisfies Wait[];
const isWait = (state: string): state is Wait => WAITS.includes(state);

/** The server's own lines: where it listens, with its token, and why if not where asked. */
function announce(server: RunningServer, host: string, out: Writable): void {
  if (!LOOPBACK.has(host)) out.write(`orchestrate: warning: the dashboard listens on ${host}, not only this machine: anyone who can reach it and has the token can control the session\n`);
  if (server.portFallback) out.write(`orchestrate: ${server.portFallback.reason}; the dashboard is on port ${server.port} instead\n`);
  out.write(`dashboard: ${server.url}\n`);
}

/**
 * Starts the server and dashboard over the store (every session in it) with `handle` as the live
 * one. A server that cannot start is reported and the run goes on headless.
 */
export async function startDashboard(store: Store, handle: SessionHandle | undefined, options: DashboardOptions, out: Writable): Promise<Dashboard | undefined> {
  const host = options.host ?? '127.0.0.1';
  const registry = new SessionRegistry(store);
  if (handle) registry.attach(handle);
  const server = await startServer({ registry, host, port: options.port ?? DEFAULT_PORT });
  if ('kind' in server) {
    out.write(`orchestrate: ${server.message}; running without the dashboard\n`);
    return undefined;
  }
  announce(server, host, out);
  return {
    server,
    keepWaiting: async (summary, h, always = false) => {
      const top = summary.state.split('.')[0] ?? '';
      const userPause = summary.state === 'paused' && summary.failure === 'paused by the user';
      // After the terminal UI quit, every wait is answered on the dashboard, not by exiting.
      if (!isWait(top) || (!userPause && !always)) return false;
      out.write(userPause ? 'paused from the dashboard: resume or stop it there (Ctrl-C stops)\n' : `the session waits (${top}): answer it on the dashboard (Ctrl-C stops)\n`);
      await waitFor(h.actor, (s) => s.status !== 'active' || !s.matches(top), { timeout: Infinity });
      return true;
    },
    close: () => server.close(),
  };
}
