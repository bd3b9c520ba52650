import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { sendJson, sleep, sseEvent, startSse } from './dialect.js';

/** One content block of the model's answer. */
export type OutBlock = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: unknown };

export interface AnswerPlan {
  model: string;
  blocks: OutBlock[];
  stopReason: 'end_turn' | 'tool_use';
  inputTokens: number;
  delayMs: number;
  /** Start the message, then never finish it (until the client goes away). */
  hang: boolean;
}

export const randomId = (prefix: string): string => `${prefix}${randomBytes(8).toString('hex')}`;

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

/** The Messages API's error body; Claude Code shows `error.message` in its "API Error" text. */
export function anthropicErrorBody(status: number, message: string): unknown {
  const type = ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  return { type: 'error', error: { type, message }, request_id: randomId('req_mock_') };
}

export function sendAnthropicError(res: ServerResponse, status: number, message: string): void {
  const body = anthropicErrorBody(status, message) as { request_id: string };
  sendJson(res, status, body, { 'request-id': body.request_id });
}

const tokensOf = (text: string): number => Math.max(1, Math.ceil(text.length / 4));

function outputTokens(blocks: OutBlock[]): number {
  return blocks.reduce((n, b) => n + tokensOf(b.type === 'text' ? b.text : JSON.stringify(b.input)), 0);
}

function usage(plan: AnswerPlan, output: number): Record<string, unknown> {
  return { input_tokens: plan.inputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: output };
}

/** The whole message at once, for a request without `stream: true`. */
export function messageJson(plan: AnswerPlan, id = randomId('msg_mock_')): Record<string, unknown> {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model: plan.model,
    content: plan.blocks,
    stop_reason: plan.stopReason,
    stop_sequence: null,
    usage: usage(plan, outputTokens(plan.blocks)),
  };
}

/** Two pieces, so the client really assembles deltas as it does with a real stream. */
function halves(text: string): string[] {
  if (text.length < 2) return [text];
  const cut = Math.ceil(text.length / 2);
  return [text.slice(0, cut), text.slice(cut)];
}

function events(plan: AnswerPlan): { event: string; data: unknown }[] {
  const out: { event: string; data: unknown }[] = [];
  const push = (event: string, data: Record<string, unknown>): void => void out.push({ event, data: { type: event, ...data } });
  plan.blocks.forEach((block, index) => {
    if (block.type === 'text') {
      push('content_block_start', { index, content_block: { type: 'text', text: '' } });
      for (const text of halves(block.text)) push('content_block_delta', { index, delta: { type: 'text_delta', text } });
    } else {
      push('content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
      for (const partial_json of halves(JSON.stringify(block.input))) push('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } });
    }
    push('content_block_stop', { index });
  });
  push('message_delta', { delta: { stop_reason: plan.stopReason, stop_sequence: null }, usage: { output_tokens: outputTokens(plan.blocks) } });
  push('message_stop', {});
  return out;
}

const gone = (res: ServerResponse): boolean => res.destroyed || res.writableEnded;

/** Streams the answer as Messages API server-sent events, `delayMs` apart. */
export async function writeStream(res: ServerResponse, plan: AnswerPlan, id = randomId('msg_mock_')): Promise<void> {
  startSse(res, { 'request-id': randomId('req_mock_') });
  const start = { ...messageJson(plan, id), content: [], stop_reason: null, usage: usage(plan, 1) };
  sseEvent(res, { type: 'message_start', message: start }, 'message_start');
  sseEvent(res, { type: 'ping' }, 'ping');
  if (plan.hang) {
    // A model that never answers: the CLI's own timeout or the orchestrator must end it.
    await new Promise<void>((resolve) => {
      if (gone(res)) resolve();
      else res.once('close', () => resolve());
    });
    return;
  }
  for (const e of events(plan)) {
    if (plan.delayMs > 0) await sleep(plan.delayMs);
    if (gone(res)) return;
    sseEvent(res, e.data, e.event);
  }
  res.end();
}
