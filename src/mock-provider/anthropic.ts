import type { ServerResponse } from 'node:http';
import type { Dialect, DialectRequest } from './dialect.js';
import { sendJson } from './dialect.js';
import type { MockEngine } from './engine.js';
import { isRequestError, readClaudeRequest, type ClaudeRequest } from './anthropic-request.js';
import { renderAction, renderFinal, type Rendered } from './anthropic-render.js';
import { anthropicErrorBody, messageJson, sendAnthropicError, writeStream, type AnswerPlan } from './anthropic-stream.js';

/**
 * The Anthropic Messages API as Claude Code uses it: `POST /v1/messages?beta=true` with
 * `stream: true`, answered with message_start, content blocks, message_delta, message_stop.
 */
const MESSAGES = '/v1/messages';
const COUNT_TOKENS = '/v1/messages/count_tokens';
export const SIDE_ANSWER = 'mock';

/**
 * Helper calls (titles, summaries on a small model) carry neither tools nor the agent's
 * environment; they must not use up the script's rules.
 */
const isSideRequest = (req: ClaudeRequest): boolean => req.tools.length === 0 && req.cwd === undefined && !req.conversation.prompt.includes('[orchestrate');

async function answer(res: ServerResponse, req: ClaudeRequest, rendered: Rendered, delayMs: number, hang: boolean): Promise<void> {
  const plan: AnswerPlan = { model: req.model, blocks: rendered.blocks, stopReason: rendered.stopReason, inputTokens: req.inputTokens, delayMs, hang };
  if (req.stream) return writeStream(res, plan);
  if (hang) {
    await new Promise<void>((resolve) => (res.destroyed ? resolve() : void res.once('close', () => resolve())));
    return;
  }
  sendJson(res, 200, messageJson(plan));
}

async function handle(request: DialectRequest, engine: MockEngine, res: ServerResponse): Promise<void> {
  const req = readClaudeRequest(request.body);
  if (isRequestError(req)) return sendAnthropicError(res, 400, req.message);
  if (request.path === COUNT_TOKENS) return sendJson(res, 200, { input_tokens: req.inputTokens });
  if (isSideRequest(req)) return answer(res, req, { blocks: [{ type: 'text', text: SIDE_ANSWER }], stopReason: 'end_turn' }, 0, false);
  const step = engine.next(req.conversation);
  switch (step.kind) {
    case 'error':
      return sendAnthropicError(res, step.status, step.message);
    case 'action':
      return answer(res, req, renderAction(step.action, step.index, req), step.delayMs, false);
    case 'final':
      return answer(res, req, renderFinal(step, req), step.delayMs, step.hang);
  }
}

export const anthropicDialect: Dialect = {
  cli: 'claude',
  accepts: (method, path) => method === 'POST' && (path === MESSAGES || path === COUNT_TOKENS),
  handle,
  errorBody: anthropicErrorBody,
};
