import type { AgentEventDraft } from '../../protocol/index.js';
import { draft, isRecord, parseJsonLine, truncate, unparseable } from '../common/events.js';
import type { ExitInfo, TranslateResult } from '../types.js';
import { resultEvents } from './result.js';
import { ClaudeLine, IGNORED_LINE_TYPES } from './schema.js';
import type { AssistantLine, UserLine } from './schema.js';
import { system } from './system.js';
import { initialState, timestampOf } from './state.js';
import type { ClaudeState } from './state.js';
import { toolResult, toolUse } from './tools.js';

export { initialState };
export type { ClaudeState };

type Step = TranslateResult<ClaudeState>;

/** The model of the synthetic message Claude Code writes in place of a failed API answer. */
const SYNTHETIC_MODEL = '<synthetic>';

function assistant(line: AssistantLine, state: ClaudeState): Step {
  const base = line.session_id && !state.sessionId ? { ...state, sessionId: line.session_id } : state;
  const texts = line.message.content.flatMap((b) => (b.type === 'text' && b.text ? [b.text] : []));
  if (line.error !== undefined && line.message.model === SYNTHETIC_MODEL) {
    // The result line right after repeats this with the HTTP status; keep it until then.
    return { events: [], state: { ...base, apiFailure: { text: texts.join('\n') || line.error, code: line.error } } };
  }
  let next = base;
  const events: AgentEventDraft[] = [];
  for (const block of line.message.content) {
    if (block.type === 'text' && block.text) {
      events.push(draft('status', { kind: 'agent.message', text: truncate(block.text) }));
    } else if (block.type === 'thinking' && block.thinking) {
      events.push(draft('status', { kind: 'agent.thinking', text: truncate(block.thinking) }));
    } else if (block.type === 'redacted_thinking') {
      events.push(draft('status', { kind: 'agent.thinking', text: '(redacted thinking)' }));
    } else if (block.type === 'tool_use') {
      const step = toolUse(block, next, {});
      events.push(...step.events);
      next = step.state;
    }
  }
  return { events, state: next };
}

function user(line: UserLine, state: ClaudeState): Step {
  // A plain string is the prompt echoed back (stream-json input): nothing new.
  if (typeof line.message.content === 'string') return { events: [], state };
  const extra = timestampOf(line.timestamp);
  let next = state;
  const events: AgentEventDraft[] = [];
  for (const block of line.message.content) {
    if (block.type === 'tool_result') {
      const step = toolResult(block, line.tool_use_result, next, extra);
      events.push(...step.events);
      next = step.state;
    } else if (block.type === 'text' && line.isSynthetic === true && block.text) {
      events.push(
        draft(
          'status',
          { kind: 'agent.warning', text: `Claude Code nudged the model: ${truncate(block.text, 300)}`, severity: 'warning' },
          extra,
        ),
      );
    }
  }
  return { events, state: next };
}

function translateValue(value: unknown, line: string, state: ClaudeState): Step {
  if (!isRecord(value)) return { events: [unparseable(line, 'not a JSON object')], state };
  if (typeof value.type !== 'string') return { events: [unparseable(line, 'no "type" field')], state };
  if (IGNORED_LINE_TYPES.has(value.type)) return { events: [], state };
  const parsed = ClaudeLine.safeParse(value);
  if (!parsed.success) {
    const known = ['system', 'assistant', 'user', 'result'].includes(value.type);
    const issue = parsed.error.issues[0];
    const reason = known
      ? `"${value.type}" line of unexpected shape at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`
      : `unknown line type "${value.type}"`;
    return { events: [unparseable(line, reason)], state };
  }
  const data = parsed.data;
  switch (data.type) {
    case 'system':
      return system(data, state);
    case 'assistant':
      return assistant(data, state);
    case 'user':
      return user(data, state);
    case 'result':
      return resultEvents(data, state);
  }
}

/** `--output-format json --verbose` prints every message as one JSON array: same lines, one document. */
function translateArray(items: unknown[], line: string, state: ClaudeState): Step {
  if (items.length === 0 || !items.every((i) => isRecord(i) && typeof i.type === 'string')) {
    return { events: [unparseable(line, 'a JSON array that is not a list of Claude messages')], state };
  }
  let next = state;
  const events: AgentEventDraft[] = [];
  for (const item of items) {
    const step = translateValue(item, JSON.stringify(item), next);
    events.push(...step.events);
    next = step.state;
  }
  return { events, state: next };
}

/**
 * How Claude Code starts every partial-message line (its JSON writer puts "type" first). Those
 * lines are ignored and are a third of a chatty run's: they are not parsed at all. One cut short
 * (no closing brace) is still parsed, to be reported.
 */
const PARTIAL_MESSAGE_PREFIX = '{"type":"stream_event",';

export function translate(line: string, state: ClaudeState): Step {
  try {
    if (line.startsWith(PARTIAL_MESSAGE_PREFIX) && line.endsWith('}')) return { events: [], state };
    if (line.trim().length === 0) return { events: [], state };
    const parsed = parseJsonLine(line);
    if (!parsed.ok) return { events: [unparseable(line, 'not JSON')], state };
    if (Array.isArray(parsed.value)) return translateArray(parsed.value, line, state);
    return translateValue(parsed.value, line, state);
  } catch (error) {
    // Defence in depth: a translator bug must cost one line, never the stream.
    return { events: [unparseable(line, `translator error: ${error instanceof Error ? error.message : String(error)}`)], state };
  }
}

function exitInWords(exit: ExitInfo): string {
  if (exit.signal) return `Claude Code was ended by ${exit.signal}`;
  if (exit.exitCode === null) return 'Claude Code ended without an exit code';
  const meaning =
    exit.exitCode === 1
      ? 'a general failure such as a rejected flag, a refused launch (root without IS_SANDBOX=1) or a missing prompt; stderr has the reason'
      : 'an unexpected failure; stderr has the reason';
  return `Claude Code exited with code ${exit.exitCode} (${meaning})`;
}

export function finish(state: ClaudeState, exit: ExitInfo): AgentEventDraft[] {
  const events: AgentEventDraft[] = [];
  let explained = state.failureExplained;
  if (state.apiFailure) {
    events.push(
      draft('error', { kind: 'api.error', text: truncate(state.apiFailure.text), errorCode: state.apiFailure.code }),
    );
    explained = true;
  }
  const failed = exit.signal !== null || exit.exitCode !== 0;
  if (failed && !explained) {
    events.push(draft('error', { kind: 'process.failed', text: exitInWords(exit), exitCode: exit.exitCode }));
  } else if (!failed && !state.sawResult) {
    events.push(
      draft('status', { kind: 'agent.warning', text: 'Claude Code exited without its final result line', severity: 'warning' }),
    );
  }
  return events;
}
