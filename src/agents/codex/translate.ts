import type { AgentEventDraft, Usage } from '../../protocol/index.js';
import { draft, isRecord, parseJsonLine, truncate, unparseable } from '../common/events.js';
import { httpStatusIn } from '../common/recovery.js';
import type { ExitInfo } from '../types.js';
import { itemStep } from './items.js';
import {
  type CodexUsage,
  Envelope,
  ErrorLine,
  ItemLine,
  RequestUserInputLine,
  ThreadStartedLine,
  TurnCompletedLine,
  TurnFailedLine,
} from './schema.js';
import { type CodexState, initialState, type Step } from './state.js';

export { initialState, type CodexState };

/** `Reconnecting... 2/5 (message)`: Codex retrying the model API by itself. */
const RETRY = /^Reconnecting\.\.\.\s*(\d+)\/(\d+)\s*\(([\s\S]*)\)$/;

function apiStatusOf(text: string): { apiStatus?: number } {
  const status = httpStatusIn(text);
  return status === undefined ? {} : { apiStatus: status };
}

function usageOf(raw: CodexUsage | undefined): Usage {
  const n = (v: number | undefined): number => (v !== undefined && Number.isInteger(v) && v >= 0 ? v : 0);
  // Codex reports no cost; input_tokens already includes the cached part (OpenAI semantics).
  return { inputTokens: n(raw?.input_tokens), outputTokens: n(raw?.output_tokens), cachedTokens: n(raw?.cached_input_tokens) };
}

/** With --output-schema the final agent_message is the JSON answer itself. */
function structuredOf(text: string | undefined): { structured?: unknown } {
  const trimmed = text?.trim() ?? '';
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return {};
  const parsed = parseJsonLine(trimmed);
  return parsed.ok && (isRecord(parsed.value) || Array.isArray(parsed.value)) ? { structured: parsed.value } : {};
}

function errorStep(message: string, state: CodexState): Step {
  const retry = RETRY.exec(message);
  if (retry) {
    const [, attempt, max, reason = ''] = retry;
    const text = `Codex is retrying the model API (${attempt}/${max}): ${reason}`;
    return { events: [draft('status', { kind: 'api.retry', text, severity: 'warning', ...apiStatusOf(reason) })], state };
  }
  return {
    events: [draft('error', { kind: 'api.error', text: truncate(message), ...apiStatusOf(message) })],
    state: { ...state, failed: true },
  };
}

function step(line: string, type: string, value: unknown, state: CodexState): Step {
  const shape = (reason: string): Step => ({ events: [unparseable(line, reason)], state });
  switch (type) {
    case 'thread.started': {
      const p = ThreadStartedLine.safeParse(value);
      if (!p.success) return shape('thread.started without thread_id');
      const text = `Codex thread ${p.data.thread_id} started`;
      return { events: [draft('status', { kind: 'run.started', text, agentSessionId: p.data.thread_id })], state: { ...state, threadId: p.data.thread_id } };
    }
    case 'turn.started':
    case 'item.plan.delta':
      // turn.started carries no data; plan deltas are repeated whole by the plan item's completion.
      return { events: [], state };
    case 'item.started':
    case 'item.updated':
    case 'item.completed': {
      const p = ItemLine.safeParse(value);
      return p.success ? itemStep(line, p.data, state) : shape(`${type} without a valid item`);
    }
    case 'turn.completed': {
      const p = TurnCompletedLine.safeParse(value);
      if (!p.success) return shape('turn.completed with invalid usage');
      const answer = state.lastMessage;
      const text = answer ? truncate(answer) : 'Codex finished the turn without a final answer';
      const payload = { kind: 'run.completed', text, ...(state.threadId ? { agentSessionId: state.threadId } : {}), ...structuredOf(answer) };
      return { events: [draft('status', payload, { usage: usageOf(p.data.usage) })], state: { ...state, completed: true } };
    }
    case 'turn.failed': {
      const p = TurnFailedLine.safeParse(value);
      if (!p.success) return shape('turn.failed with an invalid error');
      const message = p.data.error?.message ?? 'no reason given';
      const event = draft('error', { kind: 'run.failed', text: `Codex turn failed: ${truncate(message)}`, ...apiStatusOf(message) });
      return { events: [event], state: { ...state, failed: true } };
    }
    case 'error': {
      const p = ErrorLine.safeParse(value);
      return p.success ? errorStep(p.data.message, state) : shape('error without message');
    }
    case 'request_user_input': {
      const p = RequestUserInputLine.safeParse(value);
      const questions = (p.success ? (p.data.questions ?? []) : []).map((q) => q.question).filter(Boolean);
      const text = `Codex asked for user input, which a headless run cannot give: ${questions.join(' / ') || '(no question text)'}`;
      return { events: [draft('status', { kind: 'agent.warning', text: truncate(text), severity: 'warning' })], state };
    }
    default:
      return shape(`unknown Codex event type "${type}"`);
  }
}

/** Pure: one stdout line of `codex exec --json` in, events and the next state out. Never throws. */
export function translate(line: string, state: CodexState): Step {
  const trimmed = line.trim();
  if (!trimmed) return { events: [], state };
  const parsed = parseJsonLine(trimmed);
  if (!parsed.ok) return { events: [unparseable(line, 'not JSON')], state };
  const envelope = Envelope.safeParse(parsed.value);
  if (!envelope.success) return { events: [unparseable(line, 'not a Codex event object with a string "type"')], state };
  return step(line, envelope.data.type, parsed.value, state);
}

const EXIT_MEANINGS: Record<number, string> = {
  1: 'a general error (a failed turn, the git-trust refusal or a config error; see stderr)',
  2: 'a command-line usage error (Codex rejected a flag or value; see stderr)',
};

/** Pure: explain an exit that no event explained, and note a run that never finished its turn. */
export function finish(state: CodexState, exit: ExitInfo): AgentEventDraft[] {
  if (exit.exitCode === 0) {
    if (state.completed || state.failed) return [];
    const text = 'Codex exited without reporting a finished turn (no turn.completed on stdout; was --json passed?)';
    return [draft('status', { kind: 'agent.warning', text, severity: 'warning' })];
  }
  if (state.failed) return [];
  const text = exit.signal
    ? `Codex was ended by signal ${exit.signal}`
    : exit.exitCode === null
      ? 'Codex ended without an exit code'
      : `Codex exited with code ${exit.exitCode}: ${EXIT_MEANINGS[exit.exitCode] ?? 'an unexpected exit code (see stderr)'}`;
  return [draft('error', { kind: 'process.failed', text, exitCode: exit.exitCode })];
}
