import { randomBytes } from 'node:crypto';
import type { Dialect } from './dialect.js';
import { sendJson, sleep, startSse } from './dialect.js';
import type { MockEngine, Step } from './engine.js';
import { canPlayTodos, isWait, MCP_WAIT_MS, stepItems } from './responses-render.js';
import { isRequestError, readResponsesRequest, type ResponsesRequest } from './responses-request.js';
import { createdEvents, newResponse, responseEvents, usageFor, writeEvents } from './responses-stream.js';

const ERROR_TYPES: Record<number, { type: string; code: string | null }> = {
  400: { type: 'invalid_request_error', code: null },
  401: { type: 'invalid_request_error', code: 'invalid_api_key' },
  403: { type: 'invalid_request_error', code: 'unsupported_country_region_territory' },
  404: { type: 'invalid_request_error', code: 'model_not_found' },
  413: { type: 'invalid_request_error', code: null },
  429: { type: 'requests', code: 'rate_limit_exceeded' },
};

/** OpenAI's error body; Codex shows `error.message` for 4xx (and its own text for 5xx). */
export function responsesErrorBody(status: number, message: string): { error: { message: string; type: string; param: null; code: string | null } } {
  const known = ERROR_TYPES[status] ?? (status >= 500 ? { type: 'server_error', code: 'server_error' } : { type: 'invalid_request_error', code: null });
  return { error: { message, type: known.type, param: null, code: known.code } };
}

const requestId = (): string => `req_${randomBytes(8).toString('hex')}`;

/**
 * Codex has no todo tool in these versions (no `update_plan` is offered), so a todos step is
 * passed over: the next call id names the later step, and the following request goes on from there.
 */
function nextPlayable(engine: MockEngine, request: ResponsesRequest): Step {
  let step = engine.next(request.conversation);
  while (step.kind === 'action' && 'todos' in step.action && !canPlayTodos(request)) {
    step = engine.next({ ...request.conversation, actionTurns: step.index + 1 });
  }
  return step;
}

/** The OpenAI Responses API as Codex CLI uses it: `POST {base_url}/responses`, answered as SSE. */
export const responsesDialect: Dialect = {
  cli: 'codex',
  accepts: (method, path) => method === 'POST' && (path === '/v1/responses' || path === '/responses'),
  errorBody: responsesErrorBody,
  async handle(request, engine, res) {
    const read = readResponsesRequest(request.body);
    if (isRequestError(read)) return sendJson(res, 400, responsesErrorBody(400, read.message), { 'x-request-id': requestId() });
    const step = nextPlayable(engine, read);
    if (step.kind === 'error') return sendJson(res, step.status, responsesErrorBody(step.status, step.message), { 'x-request-id': requestId() });
    const response = newResponse(read.model);
    startSse(res, { 'x-request-id': requestId() });
    if (step.kind === 'final' && step.hang) return writeEvents(res, createdEvents(response), { delayMs: step.delayMs, hang: true });
    const items = stepItems(read, step);
    // Codex answers a wait at once; pacing them here gives a slow MCP server time to start.
    if (read.mcp.searched.length > 0 && items.some(isWait)) await sleep(MCP_WAIT_MS);
    await writeEvents(res, responseEvents(response, items, usageFor(read.inputChars, items)), { delayMs: step.delayMs, hang: false });
  },
};
