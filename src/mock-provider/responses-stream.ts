import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { sleep, sseEvent } from './dialect.js';
import type { OutputItem } from './responses-render.js';

export type StreamEvent = { type: string } & Record<string, unknown>;

export interface Usage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** About four characters a token: enough for the CLI to show and sum plausible numbers. */
export function usageFor(inputChars: number, items: readonly OutputItem[]): Usage {
  const out = items.reduce((n, i) => n + JSON.stringify(i.type === 'message' ? (i.content[0]?.text ?? '') : i.type === 'function_call' ? i.arguments : i.type === 'custom_tool_call' ? i.input : i.arguments).length, 0);
  const input_tokens = Math.max(1, Math.ceil(inputChars / 4));
  const output_tokens = Math.max(1, Math.ceil(out / 4));
  return { input_tokens, input_tokens_details: { cached_tokens: 0 }, output_tokens, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: input_tokens + output_tokens };
}

/** Text in a few pieces, so that `delayMs` shows as a stream rather than one burst. */
export function chunks(text: string, size = 24): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** The item as `output_item.added` announces it: no content yet. */
function started(item: OutputItem): Record<string, unknown> {
  if (item.type === 'message') return { ...item, content: [] };
  if (item.type === 'function_call') return { ...item, arguments: '' };
  if (item.type === 'custom_tool_call') return { ...item, input: '' };
  return item;
}

function itemEvents(item: OutputItem, index: number): StreamEvent[] {
  const events: StreamEvent[] = [{ type: 'response.output_item.added', output_index: index, item: { ...started(item), status: 'in_progress' } }];
  if (item.type === 'message') {
    const text = item.content[0]?.text ?? '';
    const part = { type: 'output_text', text: '', annotations: [] };
    events.push({ type: 'response.content_part.added', item_id: item.id, output_index: index, content_index: 0, part });
    for (const delta of chunks(text)) events.push({ type: 'response.output_text.delta', item_id: item.id, output_index: index, content_index: 0, delta });
    events.push({ type: 'response.output_text.done', item_id: item.id, output_index: index, content_index: 0, text });
    events.push({ type: 'response.content_part.done', item_id: item.id, output_index: index, content_index: 0, part: { ...part, text } });
  } else if (item.type === 'function_call') {
    events.push({ type: 'response.function_call_arguments.delta', item_id: item.id, output_index: index, delta: item.arguments });
    events.push({ type: 'response.function_call_arguments.done', item_id: item.id, output_index: index, arguments: item.arguments });
  } else if (item.type === 'custom_tool_call') {
    events.push({ type: 'response.custom_tool_call_input.delta', item_id: item.id, output_index: index, delta: item.input });
    events.push({ type: 'response.custom_tool_call_input.done', item_id: item.id, output_index: index, input: item.input });
  }
  events.push({ type: 'response.output_item.done', output_index: index, item });
  return events;
}

export interface ResponseShell {
  id: string;
  model: string;
  createdAt: number;
}

export function newResponse(model: string): ResponseShell {
  return { id: `resp_${randomBytes(12).toString('hex')}`, model, createdAt: Math.floor(Date.now() / 1000) };
}

const envelope = (r: ResponseShell, status: string, output: readonly OutputItem[], usage: Usage | null): Record<string, unknown> => ({
  id: r.id,
  object: 'response',
  created_at: r.createdAt,
  status,
  model: r.model,
  output,
  usage,
});

export function createdEvents(r: ResponseShell): StreamEvent[] {
  return [
    { type: 'response.created', response: envelope(r, 'in_progress', [], null) },
    { type: 'response.in_progress', response: envelope(r, 'in_progress', [], null) },
  ];
}

/** Every event of one whole answer, with sequence numbers, ending in `response.completed`. */
export function responseEvents(r: ResponseShell, items: readonly OutputItem[], usage: Usage): StreamEvent[] {
  const events = [...createdEvents(r), ...items.flatMap(itemEvents), { type: 'response.completed', response: envelope(r, 'completed', items, usage) }];
  return events.map((e, i) => ({ ...e, sequence_number: i }));
}

const gone = (res: ServerResponse): boolean => res.destroyed || res.writableEnded;

/** Writes the events (pausing `delayMs` between them); `hang` keeps the stream open until the client leaves. */
export async function writeEvents(res: ServerResponse, events: readonly StreamEvent[], opts: { delayMs: number; hang: boolean }): Promise<void> {
  for (const [i, event] of events.entries()) {
    if (gone(res)) return;
    if (i > 0 && opts.delayMs > 0) await sleep(opts.delayMs);
    if (gone(res)) return;
    sseEvent(res, event, event.type);
  }
  if (opts.hang) {
    if (!gone(res)) await new Promise<void>((resolve) => res.once('close', () => resolve()));
    return;
  }
  res.end();
}
