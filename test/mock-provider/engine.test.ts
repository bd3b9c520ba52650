import { describe, expect, it } from 'vitest';
import { MockEngine, parseHeader, stepsStartAt, type Conversation } from '../../src/mock-provider/engine.js';
import { isScriptError, MockScript, parseScript } from '../../src/mock-provider/script.js';

const script = (rules: unknown[]): MockScript => MockScript.parse({ rules });
const conv = (prompt: string, actionTurns = 0, cli: Conversation['cli'] = 'claude'): Conversation => ({ cli, prompt, actionTurns });
const PLAN = '[orchestrate role=architect mode=read-only kind=plan task=-]\nPlan the work.';
const IMPL = '[orchestrate role=implementer mode=work kind=implement task=t1]\nDo t1.';

describe('parseHeader', () => {
  it('reads the last header and drops task=-', () => {
    expect(parseHeader(PLAN)).toEqual({ role: 'architect', mode: 'read-only', kind: 'plan' });
    expect(parseHeader(`${PLAN}\n\nlater:\n${IMPL}`)).toMatchObject({ kind: 'implement', task: 't1' });
    expect(parseHeader('no header here')).toEqual({});
  });
});

describe('MockEngine', () => {
  it('walks a rule: one action per model turn, then the final answer', () => {
    const engine = new MockEngine(
      script([{ match: { kind: 'implement' }, respond: { actions: [{ shell: 'ls' }, { write: { path: 'a', content: 'b' } }], text: 'done' } }]),
    );
    expect(engine.next(conv(IMPL, 0))).toMatchObject({ kind: 'action', index: 0, action: { shell: 'ls' } });
    expect(engine.next(conv(IMPL, 1))).toMatchObject({ kind: 'action', index: 1 });
    expect(engine.next(conv(IMPL, 2))).toMatchObject({ kind: 'final', text: 'done', hang: false });
  });

  it('uses `times` once per conversation, not per request, and a relaunch takes the next rule', () => {
    const engine = new MockEngine(
      script([
        { match: { kind: 'plan' }, times: 1, respond: { actions: [{ fail: { kind: 'path_outside_workspace' } }], text: 'oops' } },
        { match: { kind: 'plan' }, respond: { structured: { summary: 's', tasks: [] } } },
      ]),
    );
    expect(engine.next(conv(PLAN, 0))).toMatchObject({ kind: 'action' });
    // Same conversation, later request: stays with the first rule although its use is spent.
    expect(engine.next(conv(PLAN, 1))).toMatchObject({ kind: 'final', text: 'oops' });
    // A relaunch starts a new conversation with the same prompt.
    expect(engine.next(conv(PLAN, 0))).toMatchObject({ kind: 'final', structured: { summary: 's' } });
    expect(engine.calls.map((c) => c.rule)).toEqual([0, 0, 1]);
  });

  it('answers scripted HTTP errors, and the retry after them moves on', () => {
    const engine = new MockEngine(
      script([
        { match: { cli: 'codex' }, times: 1, respond: { error: { status: 401 } } },
        { match: { cli: 'codex' }, respond: { text: 'ok' } },
      ]),
    );
    expect(engine.next(conv(IMPL, 0, 'codex'))).toMatchObject({ kind: 'error', status: 401 });
    expect(engine.next(conv(IMPL, 0, 'codex'))).toMatchObject({ kind: 'final', text: 'ok' });
  });

  it('matches on cli, role, task and promptIncludes; skips fake-only rules; says when nothing matched', () => {
    const engine = new MockEngine(
      script([
        { match: { cli: 'gemini' }, respond: { text: 'gemini' } },
        { match: { kind: 'implement' }, respond: { raw: { stdout: 'x' } } },
        { match: { role: ['implementer'], task: 't1', promptIncludes: ['Do t1'] }, respond: { text: 'impl' } },
      ]),
    );
    expect(engine.next(conv(IMPL))).toMatchObject({ kind: 'final', text: 'impl' });
    expect(engine.next(conv(PLAN))).toMatchObject({ kind: 'final', text: 'mock provider: no rule matched' });
    expect(engine.calls.at(-1)?.rule).toBeNull();
  });

  it('keeps a conversation on its rule when only later turns are seen (e.g. after a restart of the mock)', () => {
    const engine = new MockEngine(script([{ match: { kind: 'implement' }, times: 1, respond: { actions: [{ shell: 'a' }, { shell: 'b' }], text: 't' } }]));
    expect(engine.next(conv(IMPL, 1))).toMatchObject({ kind: 'action', index: 1 });
    // Not consumed by the mid-conversation pick: a new conversation may still take it.
    expect(engine.next(conv(IMPL, 0))).toMatchObject({ kind: 'action', index: 0 });
  });
});

describe('parseScript', () => {
  it('reads JSON and YAML', () => {
    const yaml = parseScript('rules:\n  - match: { kind: plan }\n    respond: { text: hi }\n');
    expect(isScriptError(yaml)).toBe(false);
    const json = parseScript(JSON.stringify({ rules: [{ respond: { text: 'x' } }] }));
    expect(isScriptError(json) ? json : json.rules[0]?.respond.text).toBe('x');
  });

  it('names the file and the field of a bad script', () => {
    const bad = parseScript(JSON.stringify({ rules: [{ respond: { actions: [{ shel: 'ls' }] } }] }), 'demo.json');
    expect(bad).toMatchObject({ kind: 'script.invalid' });
    expect(isScriptError(bad) && bad.message).toMatch(/^demo\.json: rules\.0\.respond\.actions\.0/);
    expect(parseScript('rules: [', 'x.yaml')).toMatchObject({ kind: 'script.syntax' });
    expect(parseScript(JSON.stringify({ rules: [{ respond: { error: { status: 200 } } }] }))).toMatchObject({ kind: 'script.invalid' });
  });
});

describe('stepsStartAt', () => {
  it('counts a resumed conversation from the first prompt with the same header', () => {
    const resumed = ['[orchestrate role=implementer mode=work kind=implement task=t1]\nDo t1.', undefined, undefined, 'The orchestrator was restarted…\n\n[orchestrate role=implementer mode=work kind=implement task=t1]\nDo t1.'];
    expect(stepsStartAt(resumed, 3)).toBe(0);
    const nextTask = ['[orchestrate role=implementer mode=work kind=implement task=t1]', undefined, '[orchestrate role=implementer mode=work kind=implement task=t2]'];
    expect(stepsStartAt(nextTask, 2)).toBe(2);
    expect(stepsStartAt(['plain', 'plain'], 1)).toBe(1);
  });
});
