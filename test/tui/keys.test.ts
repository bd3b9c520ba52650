import { describe, expect, it } from 'vitest';
import { handleKey, INITIAL_UI, type KeyContext, type UiState } from '../../src/tui/keys.js';
import { initialView, type SessionView } from '../../src/view/index.js';

const view = (patch: Partial<SessionView> = {}): SessionView => ({ ...initialView('s'), state: 'implementing.working', phase: 'implementing', ...patch });
const live = (patch: Partial<SessionView> = {}): KeyContext => ({ view: view(patch), keepAlive: false });
const escalated = (acceptsClarification = false): Partial<SessionView> => ({ phase: 'escalated', state: 'escalated', prompt: { kind: 'escalation', reason: 'blocker', suggestions: [], acceptsClarification } });

/** Types a sequence of keys; "\r" is Enter, "\x1b" Escape, "\b" Backspace. */
function type(keys: string[], ctx: KeyContext, ui: UiState = INITIAL_UI) {
  const commands: unknown[] = [];
  let quit = false;
  for (const k of keys) {
    const out = handleKey(ui, k === '\r' || k === '\x1b' || k === '\b' ? '' : k, { return: k === '\r', escape: k === '\x1b', backspace: k === '\b' }, ctx);
    ui = out.ui;
    if (out.command) commands.push(out.command);
    quit ||= out.quit === true;
  }
  return { ui, commands, quit };
}

describe('key map', () => {
  it('a and x answer the oldest command waiting for confirmation first, before an escalation', () => {
    const held = { id: 'c-1', tool: 'Bash', subject: 'git push', reason: 'git push needs confirmation' };
    const ctx = live({ ...escalated(), confirmations: [held, { ...held, id: 'c-2' }] });
    const a = handleKey(INITIAL_UI, 'a', {}, ctx);
    expect(a.confirm).toEqual({ id: 'c-1', approve: true });
    expect(a.command).toBeUndefined();
    expect(handleKey(INITIAL_UI, 'x', {}, ctx).confirm).toEqual({ id: 'c-1', approve: false });
    // Nothing held: the escalation is answered as before.
    expect(handleKey(INITIAL_UI, 'a', {}, live(escalated())).command).toEqual({ type: 'user.approve' });
  });

  it('maps p, r, v to pause, resume and review', () => {
    expect(type(['p', 'r', 'v'], live()).commands).toEqual([{ type: 'user.pause' }, { type: 'user.resume' }, { type: 'user.review' }]);
  });

  it('asks before stopping; only y stops', () => {
    expect(type(['s', 'n'], live()).commands).toEqual([]);
    const r = type(['s', 'y'], live());
    expect(r.commands).toEqual([{ type: 'user.stop' }]);
    expect(r.quit).toBe(false);
  });

  it('approves or rejects an escalation, and refuses without one', () => {
    expect(type(['a'], live(escalated())).commands).toEqual([{ type: 'user.approve' }]);
    expect(type(['x'], live(escalated())).commands).toEqual([{ type: 'user.reject', reason: 'rejected in the terminal UI' }]);
    const none = type(['a'], live());
    expect(none.commands).toEqual([]);
    expect(none.ui.message).toMatch(/no escalation/);
  });

  it('answers a clarification in place', () => {
    const ctx = live({ phase: 'awaitingClarification', prompt: { kind: 'clarification', question: 'which db?' } });
    const r = type(['c', 'p', 'g', 'x', '\b', '\r'], ctx);
    expect(r.commands).toEqual([{ type: 'user.clarify', text: 'pg' }]);
    expect(r.ui.mode.kind).toBe('normal');
    expect(type(['c', '\r'], ctx).commands).toEqual([]);
    expect(type(['c', 'a', '\x1b'], ctx).commands).toEqual([]);
    // A plan escalation takes a clarification too.
    expect(type(['c', 'h', 'i', '\r'], live(escalated(true))).commands).toEqual([{ type: 'user.clarify', text: 'hi' }]);
    expect(type(['c'], live(escalated(false))).ui.mode.kind).toBe('normal');
  });

  // Ink passes a whole stdin chunk as one input: keys typed faster than the UI reads them arrive
  // together (this lost the Enter of a tmux test on a loaded CI runner).
  it('keeps the Enter, backspaces and text of keys that arrive in one chunk', () => {
    const ctx = live({ phase: 'awaitingClarification', prompt: { kind: 'clarification', question: 'which db?' } });
    expect(type(['c', 'use the greet name\r'], ctx).commands).toEqual([{ type: 'user.clarify', text: 'use the greet name' }]);
    expect(type(['c', 'pgx\u007F\r\n'], ctx).commands).toEqual([{ type: 'user.clarify', text: 'pg' }]);
    // A pasted paragraph is one answer: line breaks inside it are spaces, and only an Enter sends it.
    const pasted = type(['c', 'first line\r\nsecond line'], ctx);
    expect(pasted.commands).toEqual([]);
    expect(pasted.ui.mode).toEqual({ kind: 'answer', text: 'first line second line' });
    expect(type(['\r'], ctx, pasted.ui).commands).toEqual([{ type: 'user.clarify', text: 'first line second line' }]);
    // An arrow key's escape sequence inside the chunk is not text.
    expect(type(['c', 'a\u001B[Ab\r'], ctx).commands).toEqual([{ type: 'user.clarify', text: 'ab' }]);
    // The filter too.
    expect(type(['/', 'a:claude\r'], live()).ui.filter).toEqual({ agent: 'claude', words: [] });
    // In normal mode a chunk is still not a string of commands: a paste must not approve or stop.
    expect(type(['approve stop'], live(escalated())).commands).toEqual([]);
  });

  it('types a filter without sending anything, keys inside it are text', () => {
    const r = type(['/', 'a', ':', 'c', 'l', 'a', 'u', 'd', 'e', ' ', 'p', '\r'], live());
    expect(r.commands).toEqual([]);
    expect(r.ui.filter).toEqual({ agent: 'claude', words: ['p'] });
    expect(type(['/', ...Array<string>(20).fill('\b'), '\r'], live(), r.ui).ui.filter).toEqual({ words: [] });
  });

  it('Tab steps the agent filter through the agents in the log, t the type filter', () => {
    const lines = ['codex', 'claude', 'orchestrate', 'claude'].map((agent, i) => ({ seq: i + 1, at: '', workerId: 'w', agent, type: 'status', text: '' }));
    const ctx = live({ log: lines });
    const tab = (ui: UiState) => handleKey(ui, '', { tab: true }, ctx).ui;
    let ui = tab(INITIAL_UI);
    expect(ui.filter.agent).toBe('claude');
    ui = tab(tab(ui));
    expect(ui.filter.agent).toBe('orchestrate');
    ui = tab(ui);
    expect(ui.filter.agent).toBeUndefined();
    expect(ui.message).toBe('filter cleared');
    const t = type(['t', 't'], ctx);
    expect(t.ui.filter.type).toBe('blocker');
    expect(t.commands).toEqual([]);
  });

  it('quits at once when the session ended, and asks to stop a live session first', () => {
    expect(type(['q'], live({ ended: true, phase: 'completed' })).quit).toBe(true);
    const ask = type(['q'], live());
    expect(ask.quit).toBe(false);
    expect(ask.ui.mode.kind).toBe('confirmQuit');
    expect(type(['q', 'n'], live())).toMatchObject({ quit: false, commands: [] });
    expect(type(['q', 'y'], live())).toMatchObject({ quit: true, commands: [{ type: 'user.stop' }] });
    expect(type(['q'], { ...live(), keepAlive: true }).quit).toBe(true);
  });

  it('Ctrl+C asks like q, and a second Ctrl+C confirms', () => {
    let ui = handleKey(INITIAL_UI, 'c', { ctrl: true }, live()).ui;
    expect(ui.mode.kind).toBe('confirmQuit');
    const out = handleKey(ui, 'c', { ctrl: true }, live());
    expect(out).toMatchObject({ quit: true, command: { type: 'user.stop' } });
    ui = out.ui;
    expect(ui.mode.kind).toBe('normal');
  });

  it('read-only: controls say why and send nothing; filter, scroll and quit still work', () => {
    const ctx: KeyContext = { ...live(escalated()), readOnly: 'another process runs it' };
    const r = type(['p', 'a', 's', 'c'], ctx);
    expect(r.commands).toEqual([]);
    expect(r.ui.message).toBe('read-only: another process runs it');
    expect(type(['/', 'x', '\r'], ctx).ui.filter.words).toEqual(['x']);
    expect(handleKey(INITIAL_UI, '', { upArrow: true }, ctx).ui.scroll).toBe(1);
    expect(type(['q'], ctx).quit).toBe(true);
  });
});
