import { buildServer, type BuiltServer, type ServerOptions } from './app.js';
import { newToken } from './security.js';

export interface RunningServer extends BuiltServer {
  token: string;
  port: number;
  /** The dashboard URL with the token (opening it trades the token for a cookie). */
  url: string;
  /** Set when the asked-for port was taken and another one was used. */
  portFallback?: { asked: number; reason: string } | undefined;
  close(): Promise<void>;
}

export type ListenError = { kind: 'listen_failed'; message: string };

const isInUse = (error: unknown): boolean => error instanceof Error && 'code' in error && (error as NodeJS.ErrnoException).code === 'EADDRINUSE';

/** Starts the server on `port`, or on a free port when that one is taken (the caller says so). */
export async function startServer(o: Omit<ServerOptions, 'token'> & { port: number; token?: string }): Promise<RunningServer | ListenError> {
  const token = o.token ?? newToken();
  const built = await buildServer({ ...o, token });
  let portFallback: RunningServer['portFallback'];
  try {
    try {
      await built.app.listen({ port: o.port, host: o.host });
    } catch (error) {
      if (!isInUse(error) || o.port === 0) throw error;
      portFallback = { asked: o.port, reason: `port ${o.port} is in use` };
      await built.app.listen({ port: 0, host: o.host });
    }
  } catch (error) {
    await built.app.close();
    return { kind: 'listen_failed', message: `the dashboard server could not listen on ${o.host}:${o.port}: ${error instanceof Error ? error.message : String(error)}` };
  }
  const address = built.app.server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  const shown = ['0.0.0.0', '::'].includes(o.host) ? '127.0.0.1' : o.host.includes(':') ? `[${o.host}]` : o.host;
  return { ...built, token, port, url: `http://${shown}:${port}/?token=${token}`, portFallback, close: () => built.app.close() };
}
