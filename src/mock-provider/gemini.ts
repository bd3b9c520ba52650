import type { ServerResponse } from 'node:http';
import type { Dialect, DialectRequest } from './dialect.js';
import { sendJson, sleep, sseEvent, startSse } from './dialect.js';
import type { MockEngine, Step } from './engine.js';
import type { GenerateContentRequest } from './gemini-request.js';
import { conversationOf, estimateTokens, isSideCall, modelPath, offeredTools, readRequest, workingDirectory } from './gemini-request.js';
import type { GeminiPart, RenderContext } from './gemini-render.js';
import { actionParts, endsTurn, errorBody, finalText, newResponseId, responseChunk, textChunks, usageOf } from './gemini-render.js';
import { sideAnswerText } from './gemini-side.js';

/**
 * The Gemini API as Gemini CLI 0.61 uses it: `POST /v1beta/models/<m>:streamGenerateContent?alt=sse`
 * for the conversation, `:generateContent` for its helper calls (router classifier), and
 * `:countTokens`. One model turn = one response: a tool call, or the final text.
 */

type Turn =
  | { kind: 'error'; status: number; message: string }
  | { kind: 'hang' }
  | { kind: 'chunks'; chunks: GeminiPart[][]; delayMs: number };

/**
 * A step the CLI has no tool for (todos without `write_todos`, a report tool that is not
 * offered) becomes marked text, and the next step follows in the same turn: a text-only turn
 * would end the run.
 */
export function planTurn(engine: MockEngine, request: GenerateContentRequest): Turn {
  const conversation = conversationOf(request);
  const ctx: RenderContext = { tools: offeredTools(request), cwd: workingDirectory(request) };
  const lead: GeminiPart[][] = [];
  let step: Step = engine.next(conversation);
  while (step.kind === 'action') {
    const parts = actionParts(step.action, ctx);
    if (!endsTurn(parts)) return { kind: 'chunks', chunks: [...lead, parts], delayMs: step.delayMs };
    lead.push(parts);
    step = engine.next({ ...conversation, actionTurns: conversation.actionTurns + lead.length });
  }
  if (step.kind === 'error') return step;
  if (step.hang) return { kind: 'hang' };
  return { kind: 'chunks', chunks: [...lead, ...textChunks(finalText(step)).map((text) => [{ text }])], delayMs: step.delayMs };
}

/** Resolves when the client has gone away (or already had). */
function closed(res: ServerResponse): Promise<void> {
  if (res.destroyed || res.writableFinished) return Promise.resolve();
  return new Promise((resolve) => res.once('close', () => resolve()));
}

/** Adjacent text parts as one, the way a non-streaming answer carries them. */
function merged(chunks: GeminiPart[][]): GeminiPart[] {
  const out: GeminiPart[] = [];
  for (const part of chunks.flat()) {
    const last = out.at(-1);
    if (last && 'text' in last && 'text' in part) out[out.length - 1] = { text: last.text + part.text };
    else out.push(part);
  }
  return out;
}

async function answer(res: ServerResponse, stream: boolean, model: string, promptTokens: number, chunks: GeminiPart[][], delayMs: number): Promise<void> {
  const id = newResponseId();
  const outputTokens = estimateTokens(chunks);
  const usage = usageOf(promptTokens, outputTokens);
  if (!stream) {
    if (delayMs > 0) await sleep(delayMs);
    return sendJson(res, 200, responseChunk(merged(chunks), model, usage, true, id));
  }
  startSse(res);
  for (const [i, parts] of chunks.entries()) {
    if (delayMs > 0) await sleep(delayMs);
    if (res.destroyed) return;
    sseEvent(res, responseChunk(parts, model, usage, i === chunks.length - 1, id));
  }
  res.end();
}

async function handle(request: DialectRequest, engine: MockEngine, res: ServerResponse): Promise<void> {
  const target = modelPath(request.path);
  if (!target || request.method !== 'POST') {
    return sendJson(res, 404, errorBody(404, `mock provider: no Gemini API method at ${request.method} ${request.path}`));
  }
  const read = readRequest(request.body);
  if (!read.ok) return sendJson(res, 400, errorBody(400, read.message));
  const body = read.request;
  const promptTokens = estimateTokens(body.contents) + estimateTokens(body.systemInstruction);
  if (target.method === 'countTokens') return sendJson(res, 200, { totalTokens: promptTokens });
  if (target.method !== 'generateContent' && target.method !== 'streamGenerateContent') {
    return sendJson(res, 404, errorBody(404, `mock provider: the Gemini method ${target.method} is not supported`));
  }
  const stream = target.method === 'streamGenerateContent';
  if (isSideCall(body)) return answer(res, stream, target.model, promptTokens, [[{ text: sideAnswerText(body) }]], 0);

  const turn = planTurn(engine, body);
  if (turn.kind === 'error') return sendJson(res, turn.status, errorBody(turn.status, turn.message));
  if (turn.kind === 'hang') {
    // Headers only: the CLI waits for a first chunk until it gives up or is stopped.
    if (stream) {
      startSse(res);
      res.flushHeaders();
    }
    return closed(res);
  }
  return answer(res, stream, target.model, promptTokens, turn.chunks, turn.delayMs);
}

export const geminiDialect: Dialect = {
  cli: 'gemini',
  // Only Google's API versions live under /v1beta and /v1alpha; the other dialects use /v1.
  accepts: (_method, path) => path.startsWith('/v1beta/') || path.startsWith('/v1alpha/'),
  handle,
  errorBody,
};
