import { appendFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Dialect, DialectRequest } from './dialect.js';
import { sendJson } from './dialect.js';
import { MockEngine } from './engine.js';
import { MockScript, type MockScriptInput } from './script.js';

/** Claude's requests carry 24 tool schemas and the whole history; far below this in practice. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;
const SECRET_HEADERS = new Set(['authorization', 'x-api-key', 'x-goog-api-key', 'cookie']);

export interface MockProviderOptions {
  /** Parsed here (defaults filled in), so a script built in code cannot crash the engine. */
  script: MockScript | MockScriptInput;
  dialects: readonly Dialect[];
  port?: number;
  /** Append every request (secrets redacted) and the step it got to this JSONL file. */
  requestLog?: string;
}

export interface MockProvider {
  url: string;
  port: number;
  engine: MockEngine;
  server: Server;
  close(): Promise<void>;
}

type BodyResult = { ok: true; body: unknown } | { ok: false; status: number; message: string };

async function readBody(req: IncomingMessage): Promise<BodyResult> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return { ok: false, status: 413, message: `request body over ${MAX_BODY_BYTES} bytes` };
    chunks.push(chunk);
  }
  if (size === 0) return { ok: true, body: undefined };
  try {
    return { ok: true, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown };
  } catch (error) {
    return { ok: false, status: 400, message: `request body is not JSON: ${(error as Error).message}` };
  }
}

function redacted(headers: IncomingMessage['headers']): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, SECRET_HEADERS.has(k) ? '<redacted>' : v]));
}

/** An HTTP server on 127.0.0.1 that answers the three model APIs from a script. */
export async function startMockProvider(options: MockProviderOptions): Promise<MockProvider> {
  const engine = new MockEngine(MockScript.parse(options.script));
  const log = (entry: Record<string, unknown>): void => {
    if (options.requestLog) appendFileSync(options.requestLog, `${JSON.stringify(entry)}\n`);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    // Claude Code's connectivity preflight, and a probe for people and tests.
    if (url.pathname === '/' || url.pathname === '/health') {
      if (method === 'HEAD') return void res.writeHead(200).end();
      return sendJson(res, 200, { ok: true, service: 'orchestrate mock provider' });
    }
    const dialect = options.dialects.find((d) => d.accepts(method, url.pathname));
    if (!dialect) return sendJson(res, 404, { error: { message: `mock provider: no model API at ${method} ${url.pathname}` } });
    const body = await readBody(req);
    if (!body.ok) return sendJson(res, body.status, dialect.errorBody(body.status, body.message));
    const request: DialectRequest = { method, path: url.pathname, query: url.searchParams, headers: req.headers, body: body.body };
    const before = engine.calls.length;
    await dialect.handle(request, engine, res);
    log({ at: new Date().toISOString(), cli: dialect.cli, method, path: url.pathname, headers: redacted(req.headers), body: body.body, calls: engine.calls.slice(before) });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A bug in a dialect must not hang the CLI: answer 500 if nothing was sent yet.
      const message = `mock provider: ${error instanceof Error ? error.message : String(error)}`;
      log({ at: new Date().toISOString(), kind: 'mock.failed', message });
      if (!res.headersSent) sendJson(res, 500, { error: { message } });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    engine,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
