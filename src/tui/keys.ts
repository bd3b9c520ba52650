import type { SessionEvent } from '../machines/session.js';
import { describeFilter, parseFilter, type LogFilter, type SessionView } from '../view/index.js';

/** What the UI itself is doing: these never reach the session. */
export type Mode =
  | { kind: 'normal' }
  | { kind: 'filter'; text: string }
  | { kind: 'answer'; text: string }
  | { kind: 'confirmStop' }
  | { kind: 'confirmQuit' };

export interface UiState {
  mode: Mode;
  filter: LogFilter;
  /** Lines scrolled back from the newest (0 follows the tail). */
  scroll: number;
  /** Feedback for the last key (sent, refused, read-only). */
  message?: string | undefined;
}

export const INITIAL_UI: UiState = { mode: { kind: 'normal' }, filter: { words: [] }, scroll: 0 };

/** The subset of Ink's key flags the map reads. */
export interface KeyFlags {
  return?: boolean;
  escape?: boolean;
  backspace?: boolean;
  delete?: boolean;
  ctrl?: boolean;
  upArrow?: boolean;
  downArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  tab?: boolean;
}

export interface KeyContext {
  view: SessionView;
  /** Undefined when controls work; otherwise why they do not (shown on every control key). */
  readOnly?: string | undefined;
  /** Quitting the UI leaves the session running (a dashboard or --detach keeps the process). */
  keepAlive: boolean;
}

export interface KeyOutcome {
  ui: UiState;
  /** The user's answer to the oldest command waiting for confirmation. */
  confirm?: { id: string; approve: boolean };
  /** Sent to the root actor, exactly like an HTTP control. */
  command?: SessionEvent | undefined;
  quit?: boolean;
}

const normal = (ui: UiState, message?: string): UiState => ({ ...ui, mode: { kind: 'normal' }, message });

/** The types worth jumping to with `t` (the rest are reachable with `/ type:`). */
export const TYPE_CYCLE = ['error', 'blocker', 'milestone', 'finding', 'review', 'task', 'progress', 'status'];

/** The next value after `current` in `values`, then back to none. */
function cycle(values: readonly string[], current: string | undefined): string | undefined {
  const i = current === undefined ? -1 : values.indexOf(current);
  return i + 1 < values.length ? values[i + 1] : undefined;
}

/** Tab steps the agent filter through the agents in the log, `t` the type filter through TYPE_CYCLE. */
function stepFilter(ui: UiState, ctx: KeyContext, field: 'agent' | 'type'): UiState {
  const values = field === 'agent' ? [...new Set(ctx.view.log.map((l) => l.agent))].sort() : TYPE_CYCLE;
  const filter = { ...ui.filter, [field]: cycle(values, ui.filter[field]) };
  return { ...normal(ui, describeFilter(filter) ? `filter: ${describeFilter(filter)}` : 'filter cleared'), filter, scroll: 0 };
}

/** An escape sequence (an arrow key, a focus report) inside a chunk of typed text. */
// eslint-disable-next-line no-control-regex -- finding the escape character is the point
const ESCAPE_SEQUENCE = /\u001B(?:\[[0-9;?]*[ -/]*[@-~]|O.|.)?/g;
const NEWLINE_AT_END = /[\r\n]+$/;

/**
 * Text entry for the filter and the clarification answer. Ink hands over a whole stdin chunk as
 * one input, so keys typed faster than the UI reads them (a loaded machine, a slow link) or a
 * paste arrive together: each character of a chunk is applied in turn, a backspace inside it
 * deletes, and line breaks inside it become spaces (a pasted paragraph stays one answer).
 */
function edit(text: string, input: string, key: KeyFlags): string {
  if (key.backspace || key.delete) return text.slice(0, -1);
  if (key.ctrl || !input) return text;
  let out = text;
  for (const ch of input.replace(ESCAPE_SEQUENCE, '').replace(/\r\n?/g, '\n')) {
    if (ch === '\u007F' || ch === '\b') out = out.slice(0, -1);
    else if (ch === '\n') out += ' ';
    else if (ch >= ' ') out += ch;
  }
  return out;
}

function typing(ui: UiState, mode: Extract<Mode, { kind: 'filter' | 'answer' }>, input: string, key: KeyFlags): KeyOutcome {
  if (key.escape) return { ui: normal(ui) };
  // "name\r" in one chunk is the text and then Enter: the Enter must not be lost with the chunk.
  const enterInChunk = !key.return && !key.ctrl && input.length > 1 && NEWLINE_AT_END.test(input);
  const text = key.return ? mode.text : edit(mode.text, enterInChunk ? input.replace(NEWLINE_AT_END, '') : input, key);
  if (!key.return && !enterInChunk) return { ui: { ...ui, mode: { ...mode, text } } };
  if (mode.kind === 'filter') {
    const filter = parseFilter(text);
    return { ui: { ...normal(ui, describeFilter(filter) ? `filter: ${describeFilter(filter)}` : 'filter cleared'), filter, scroll: 0 } };
  }
  const answer = text.trim();
  if (!answer) return { ui: normal(ui, 'empty answer: nothing sent') };
  return { ui: normal(ui, 'clarification sent'), command: { type: 'user.clarify', text: answer } };
}

function control(ui: UiState, ctx: KeyContext, input: string): KeyOutcome | undefined {
  const prompt = ctx.view.prompt;
  const send = (command: SessionEvent, message: string): KeyOutcome => ({ ui: normal(ui, message), command });
  switch (input) {
    case 'p':
      return send({ type: 'user.pause' }, 'pause sent');
    case 'r':
      return send({ type: 'user.resume' }, 'resume sent');
    case 'v':
      return send({ type: 'user.review' }, 'review requested');
    case 's':
      return { ui: { ...ui, mode: { kind: 'confirmStop' }, message: undefined } };
    case 'c':
      if (prompt?.kind === 'clarification' || (prompt?.kind === 'escalation' && prompt.acceptsClarification)) return { ui: { ...ui, mode: { kind: 'answer', text: '' }, message: undefined } };
      return { ui: normal(ui, 'no question to answer') };
    case 'a':
    case 'x': {
      // A held command comes first: an agent is blocked on it right now.
      const held = ctx.view.confirmations[0];
      if (held) return { ui: normal(ui, `${input === 'a' ? 'approved' : 'rejected'}: ${held.tool} ${held.subject}`), confirm: { id: held.id, approve: input === 'a' } };
      if (input === 'x') {
        return prompt?.kind === 'escalation' ? send({ type: 'user.reject', reason: 'rejected in the terminal UI' }, 'rejected') : { ui: normal(ui, 'no escalation to reject') };
      }
      return prompt?.kind === 'escalation' ? send({ type: 'user.approve' }, 'approved') : { ui: normal(ui, 'no escalation to approve') };
    }
    default:
      return undefined;
  }
}

function quit(ui: UiState, ctx: KeyContext): KeyOutcome {
  if (ctx.view.ended || ctx.keepAlive || ctx.readOnly !== undefined) return { ui, quit: true };
  return { ui: { ...ui, mode: { kind: 'confirmQuit' }, message: undefined } };
}

/** One key press → the next UI state, at most one command for the session, and whether to quit. */
export function handleKey(ui: UiState, input: string, key: KeyFlags, ctx: KeyContext): KeyOutcome {
  const ctrlC = key.ctrl === true && input === 'c';
  const { mode } = ui;
  if (mode.kind === 'filter' || mode.kind === 'answer') return ctrlC ? { ui: normal(ui) } : typing(ui, mode, input, key);
  if (mode.kind === 'confirmStop' || mode.kind === 'confirmQuit') {
    if (input === 'y' || ctrlC) return { ui: normal(ui, 'stop sent'), command: { type: 'user.stop' }, quit: mode.kind === 'confirmQuit' };
    return { ui: normal(ui, 'cancelled') };
  }
  if (input === 'q' || ctrlC) return quit(ui, ctx);
  if (input === '/') return { ui: { ...ui, mode: { kind: 'filter', text: describeFilter(ui.filter) }, message: undefined } };
  if (key.tab) return { ui: stepFilter(ui, ctx, 'agent') };
  if (input === 't') return { ui: stepFilter(ui, ctx, 'type') };
  if (key.upArrow || key.pageUp) return { ui: { ...ui, scroll: ui.scroll + (key.pageUp ? 10 : 1) } };
  if (key.downArrow || key.pageDown) return { ui: { ...ui, scroll: Math.max(0, ui.scroll - (key.pageDown ? 10 : 1)) } };
  if (key.escape) return { ui: { ...normal(ui), scroll: 0 } };
  const outcome = control(ui, ctx, input);
  if (outcome && ctx.readOnly !== undefined) return { ui: normal(ui, `read-only: ${ctx.readOnly}`) };
  return outcome ?? { ui };
}
