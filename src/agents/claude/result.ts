import { posix } from 'node:path';
import type { AgentEventDraft, Usage } from '../../protocol/index.js';
import { draft, isRecord, truncate } from '../common/events.js';
import type { PermissionDenial, ResultLine } from './schema.js';
import type { ClaudeState } from './state.js';

/**
 * Only `result.usage` counts: per-message usage carries the `message_start` value
 * (output_tokens 1). Anthropic's input_tokens excludes cache reads and writes, so the
 * total input adds both back and `cachedTokens` is the cache-read share.
 */
export function usageOf(line: ResultLine): Usage | undefined {
  const u = line.usage;
  if (!u) return undefined;
  const whole = (n: number | undefined): number => Math.round(n ?? 0);
  const cached = whole(u.cache_read_input_tokens);
  return {
    inputTokens: whole(u.input_tokens) + whole(u.cache_creation_input_tokens) + cached,
    outputTokens: whole(u.output_tokens),
    cachedTokens: cached,
    ...(line.total_cost_usd === undefined ? {} : { costUsd: line.total_cost_usd }),
  };
}

export interface Denial {
  tool: string;
  path?: string;
  command?: string;
}

export function denialOf(d: PermissionDenial): Denial {
  const input = isRecord(d.tool_input) ? d.tool_input : {};
  const pick = (key: string): string | undefined => (typeof input[key] === 'string' ? input[key] : undefined);
  const path = pick('file_path') ?? pick('notebook_path') ?? pick('path');
  const command = pick('command');
  return {
    tool: d.tool_name ?? 'tool',
    ...(path === undefined ? {} : { path }),
    ...(command === undefined ? {} : { command }),
  };
}

function denialsEvent(denials: PermissionDenial[]): AgentEventDraft {
  const list = denials.map(denialOf);
  const described = list.map((d) => `${d.tool} ${d.path ?? d.command ?? ''}`.trim()).join(', ');
  const dirs = [...new Set(list.flatMap((d) => (d.path ? [posix.dirname(d.path)] : [])))];
  return draft('error', {
    kind: 'permission.denials',
    text: `Claude Code refused ${list.length} tool call(s) for lack of permission: ${truncate(described, 1000)}`,
    denials: list,
    dirs,
    severity: 'warning',
  });
}

function failureText(line: ResultLine, state: ClaudeState): string {
  const fromErrors = line.errors?.join('; ');
  return line.result || fromErrors || state.apiFailure?.text || `Claude Code run failed (${line.subtype ?? 'unknown'})`;
}

/** The last line of every run: success, API error, or a limit. */
export function resultEvents(line: ResultLine, state: ClaudeState): { events: AgentEventDraft[]; state: ClaudeState } {
  const usage = usageOf(line);
  const withUsage = usage ? { usage } : {};
  const sessionId = line.session_id ?? state.sessionId;
  const session = sessionId === undefined ? {} : { agentSessionId: sessionId };
  const events: AgentEventDraft[] = [];
  if (line.permission_denials && line.permission_denials.length > 0) events.push(denialsEvent(line.permission_denials));
  const next: ClaudeState = { ...state, sawResult: true, apiFailure: undefined };
  const isError = line.is_error === true || (line.subtype !== undefined && line.subtype.startsWith('error'));
  if (!isError) {
    const text = line.result ?? '';
    events.push(
      draft(
        'status',
        {
          kind: 'run.completed',
          text: text.length > 0 ? truncate(text) : 'Claude Code finished without a text answer',
          ...session,
          ...(line.structured_output === undefined ? {} : { structured: line.structured_output }),
          ...(line.num_turns === undefined ? {} : { turns: line.num_turns }),
        },
        withUsage,
      ),
    );
    return { events, state: next };
  }
  const apiStatus = line.api_error_status ?? undefined;
  const apiCode = state.apiFailure?.code;
  const isApi = apiStatus !== undefined || apiCode !== undefined;
  events.push(
    draft(
      'error',
      {
        kind: isApi ? 'api.error' : 'run.failed',
        text: truncate(failureText(line, state)),
        ...session,
        ...(apiStatus === undefined ? {} : { apiStatus }),
        ...(apiCode === undefined ? {} : { errorCode: apiCode }),
        ...(line.subtype === undefined ? {} : { subtype: line.subtype }),
        ...(line.terminal_reason === undefined ? {} : { terminalReason: line.terminal_reason }),
      },
      withUsage,
    ),
  );
  return { events, state: { ...next, failureExplained: true } };
}
