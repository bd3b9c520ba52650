import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { CliName, MockEngine } from './engine.js';

export interface DialectRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body (undefined for a bodyless request). */
  body: unknown;
}

/** One model API as one CLI uses it: recognise its requests, answer them from the engine. */
export interface Dialect {
  readonly cli: CliName;
  accepts(method: string, path: string): boolean;
  /** Writes the whole response (SSE stream, JSON, or the API's own error shape). */
  handle(request: DialectRequest, engine: MockEngine, res: ServerResponse): Promise<void>;
  /** The API's error body for a status, for the server's own refusals (bad JSON, too large). */
  errorBody(status: number, message: string): unknown;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One server-sent event; `event:` only where the API names its events (Anthropic does). */
export function sseEvent(res: ServerResponse, data: unknown, event?: string): void {
  res.write(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
}

export function startSse(res: ServerResponse, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...headers });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
