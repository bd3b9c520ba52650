import type { AgentEventDraft, Usage } from '../../protocol/index.js';
import { draft, isRecord, truncate } from '../common/events.js';
import { httpStatusIn } from '../common/recovery.js';
import type { JsonDocument, ResultLine, StreamStats } from './schema.js';
import type { GeminiState } from './state.js';
import { at, timestampOf } from './state.js';

const count = (n: number | undefined): number => Math.max(0, Math.round(n ?? 0));

/** Stream totals; they include the router classifier's call, which is real spend too. */
export function streamUsage(stats: StreamStats): Usage {
  return {
    inputTokens: count(stats.input_tokens ?? stats.input),
    outputTokens: count(stats.output_tokens),
    cachedTokens: count(stats.cached),
  };
}

function documentUsage(doc: JsonDocument): Usage | undefined {
  const models = doc.stats?.models;
  if (!models) return undefined;
  const usage = { inputTokens: 0, outputTokens: 0, cachedTokens: 0 };
  for (const m of Object.values(models)) {
    usage.inputTokens += count(m.tokens?.prompt ?? m.tokens?.input);
    usage.outputTokens += count(m.tokens?.candidates);
    usage.cachedTokens += count(m.tokens?.cached);
  }
  return usage;
}

/**
 * Gemini has no structured-output flag: the prompt asks for one JSON object
 * (command.ts), so a final answer that is exactly one object is the structured answer.
 */
export function structuredAnswer(text: string | undefined): Record<string, unknown> | undefined {
  if (!text) return undefined;
  const body = text
    .trim()
    .replace(/^```(?:json)?\s*\n([\s\S]*)\n```$/, '$1')
    .trim();
  if (!body.startsWith('{') || !body.endsWith('}')) return undefined;
  try {
    const value: unknown = JSON.parse(body);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function completed(finalText: string | undefined, usage: Usage | undefined, timestamp?: string, extra: Record<string, unknown> = {}): AgentEventDraft {
  const structured = structuredAnswer(finalText);
  return draft(
    'status',
    {
      kind: 'run.completed',
      text: finalText ?? 'Gemini finished the run without a final message.',
      ...(structured === undefined ? {} : { structured }),
      ...extra,
    },
    { ...at(timestamp), ...(usage ? { usage } : {}) },
  );
}

function failed(message: string, errorType: string | undefined, usage: Usage | undefined, timestamp?: string): AgentEventDraft {
  const apiStatus = httpStatusIn(message);
  const isApi = apiStatus !== undefined || message.includes('API Error');
  return draft(
    'error',
    {
      kind: isApi ? 'api.error' : 'run.failed',
      text: truncate(message),
      severity: 'error',
      ...(apiStatus === undefined ? {} : { apiStatus }),
      ...(errorType ? { errorType } : {}),
    },
    { ...at(timestamp), ...(usage ? { usage } : {}) },
  );
}

export function resultEvent(line: ResultLine, state: GeminiState): { events: AgentEventDraft[]; state: GeminiState } {
  const usage = line.stats ? streamUsage(line.stats) : undefined;
  const timestamp = timestampOf(line);
  if (line.status === 'success') {
    const models = line.stats?.models ? Object.keys(line.stats.models) : [];
    const extra = {
      ...(models.length > 0 ? { models } : {}),
      ...(line.stats?.tool_calls === undefined ? {} : { toolCalls: line.stats.tool_calls }),
      ...(line.stats?.duration_ms === undefined ? {} : { durationMs: line.stats.duration_ms }),
    };
    return { events: [completed(state.lastMessage, usage, timestamp, extra)], state };
  }
  // `empty` ends with status "error" and no error object: the preceding `error` line says why.
  const message =
    line.error?.message ?? state.lastAgentError ?? `Gemini ended the run with status ${line.status ?? '(none)'}`;
  const type = line.error?.type === 'unknown' ? undefined : line.error?.type;
  return { events: [failed(message, type, usage, timestamp)], state: { ...state, failureExplained: true } };
}

/** `--output-format json`: a whole run in one object (its errors go to stderr, but accept them here too). */
export function documentEvents(doc: JsonDocument): { events: AgentEventDraft[]; failed: boolean } {
  const events: AgentEventDraft[] = [];
  if (doc.session_id) {
    events.push(draft('status', { kind: 'run.started', text: `Gemini session ${doc.session_id}`, agentSessionId: doc.session_id }));
  }
  if (doc.response) events.push(draft('status', { kind: 'agent.message', text: doc.response }));
  const usage = documentUsage(doc);
  if (doc.error) {
    const message = doc.error.message ?? `Gemini failed (${doc.error.type ?? 'unknown error'})`;
    events.push(failed(message, doc.error.type, usage));
    return { events, failed: true };
  }
  events.push(completed(doc.response, usage));
  return { events, failed: false };
}
