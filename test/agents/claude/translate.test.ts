import { describe, expect, it } from 'vitest';
import { claudeAdapter } from '../../../src/agents/claude/adapter.js';
import type { ClaudeState } from '../../../src/agents/claude/translate.js';
import { finish, initialState, translate } from '../../../src/agents/claude/translate.js';
import { AgentEventDraft } from '../../../src/protocol/index.js';
import { byKind, listScenarios, loadTranscript, stdoutUnits, translateTranscript } from '../../helpers/transcripts.js';

const scenarios = listScenarios('claude');
const run = (scenario: string): AgentEventDraft[] => translateTranscript(claudeAdapter, loadTranscript('claude', scenario));
const kinds = (events: AgentEventDraft[]): (string | undefined)[] => events.map((e) => e.payload.kind);

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Feed lines one by one; the state handed back is frozen, so any mutation would throw (and be caught as unparseable). */
function feed(lines: string[], state: ClaudeState = initialState()): { events: AgentEventDraft[]; state: ClaudeState } {
  const events: AgentEventDraft[] = [];
  let s = deepFreeze(state);
  for (const line of lines) {
    const r = translate(line, s);
    events.push(...r.events);
    s = deepFreeze(r.state);
  }
  return { events, state: s };
}

describe('claude translator over every recorded transcript', () => {
  it('has the scenarios the brief names', () => {
    for (const s of ['multi', 'think', 'error500', 'error401', 'schema', 'resume-1', 'resume-2', 'max-turns', 'empty', 'hooks', 'tool-partial']) {
      expect(scenarios).toContain(s);
    }
  });

  it.each(scenarios)('%s: never throws, valid drafts, no unparseable line in a real stream', (scenario) => {
    const t = loadTranscript('claude', scenario);
    const events = feed(stdoutUnits(t)).events.concat();
    const all = translateTranscript(claudeAdapter, t);
    for (const e of all) expect(() => AgentEventDraft.parse(e)).not.toThrow();
    if (t.stdoutKind !== 'txt') expect(byKind(events, 'stream.unparseable')).toEqual([]);
    for (const e of all) expect(e.payload.text.length).toBeGreaterThan(0);
  });

  it.each(scenarios.filter((s) => loadTranscript('claude', s).meta.exitCode === 0))(
    '%s: a successful run ends with exactly one run.completed carrying usage',
    (scenario) => {
      const events = run(scenario);
      const completed = byKind(events, 'run.completed');
      expect(completed).toHaveLength(1);
      expect(events.at(-1)).toBe(completed[0]);
      expect(completed[0]?.usage).toBeDefined();
      expect(completed[0]?.usage?.costUsd).toBeGreaterThan(0);
      expect(events.filter((e) => e.type === 'error' && e.payload.kind !== 'tool.failed' && e.payload.kind !== 'permission.denials')).toEqual([]);
    },
  );

  it.each(scenarios.filter((s) => loadTranscript('claude', s).meta.exitCode !== 0))(
    '%s: a failed run is explained by exactly one error event and never completes',
    (scenario) => {
      const events = run(scenario);
      expect(byKind(events, 'run.completed')).toEqual([]);
      const explaining = events.filter((e) => ['api.error', 'run.failed', 'process.failed'].includes(e.payload.kind ?? ''));
      expect(explaining).toHaveLength(1);
    },
  );
});

describe('claude translator: per scenario', () => {
  it('text: run.started with session and model, the answer, usage', () => {
    const events = run('text');
    expect(kinds(events)).toEqual(['run.started', 'agent.message', 'run.completed']);
    expect(events[0]?.payload).toMatchObject({ agentSessionId: '27637ae4-d9ca-49dc-b24c-7f334d94ab04', model: 'claude-opus-4-8[1m]' });
    expect(events[1]?.payload.text).toBe('MOCK_TEXT_OK: hello from the mock model.');
  });

  it('multi: two tool calls with results, the final text and summed usage', () => {
    const events = run('multi');
    const calls = byKind(events, 'tool.call');
    expect(calls.map((e) => [e.type, e.payload.tool, e.payload.command])).toEqual([
      ['progress', 'Bash', 'echo step1 > step1.txt'],
      ['progress', 'Bash', 'cat step1.txt; ls'],
    ]);
    expect(calls[0]?.payload.text).toBe('Bash: echo step1 > step1.txt');
    const results = byKind(events, 'tool.result');
    expect(results).toHaveLength(2);
    expect(results[1]?.payload.output).toBe('step1\nstep1.txt');
    expect(results[1]?.timestamp).toBe('2026-11-23T22:30:28.405Z');
    const done = byKind(events, 'run.completed')[0];
    expect(done?.payload.text).toBe('MOCK_MULTI_DONE. Tool output was: "step1\\nstep1.txt"');
    expect(done?.usage).toEqual({ inputTokens: 309, outputTokens: 36, cachedTokens: 0, costUsd: 0.002445 });
  });

  it('think: the thinking block becomes agent.thinking, thinking_tokens add nothing', () => {
    const events = run('think');
    expect(kinds(events)).toEqual(['run.started', 'agent.thinking', 'agent.message', 'run.completed']);
    expect(events[1]?.payload.text).toBe('MOCK_THINKING: the user wants a greeting; answer directly.');
  });

  it('error500: two warnings for the retries, then an api.error with status 500 and usage', () => {
    const events = run('error500');
    const retries = byKind(events, 'api.retry');
    expect(retries).toHaveLength(2);
    expect(retries.every((e) => e.payload.severity === 'warning' && e.payload.apiStatus === 500)).toBe(true);
    const errors = byKind(events, 'api.error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.type).toBe('error');
    expect(errors[0]?.payload.apiStatus).toBe(500);
    expect(errors[0]?.payload.text).toMatch(/^API Error: 500 Internal server error \(mock\)/);
    expect(errors[0]?.usage).toEqual({ inputTokens: 0, outputTokens: 0, cachedTokens: 0, costUsd: 0 });
    expect(byKind(events, 'agent.message')).toEqual([]);
  });

  it.each(['error401', 'error401-json'])('%s: an auth api.error with status 401', (scenario) => {
    const error = byKind(run(scenario), 'api.error')[0];
    expect(error?.payload).toMatchObject({ apiStatus: 401, text: 'Invalid API key · Fix external API key' });
  });

  it('error401 keeps the CLI error code of the synthetic message', () => {
    expect(byKind(run('error401'), 'api.error')[0]?.payload.errorCode).toBe('authentication_failed');
  });

  it('no-key: api.error "Not logged in" without an HTTP status', () => {
    const error = byKind(run('no-key'), 'api.error')[0];
    expect(error?.payload.text).toBe('Not logged in · Please run /login');
    expect(error?.payload.apiStatus).toBeUndefined();
    expect(error?.payload.errorCode).toBe('authentication_failed');
  });

  it('outside-default-perms: tool.failed with the real string, then permission.denials with tool and path', () => {
    const events = run('outside-default-perms');
    const failed = byKind(events, 'tool.failed');
    expect(failed.map((e) => e.payload.tool)).toEqual(['Write', 'Read']);
    expect(failed[0]?.payload.text).toContain(
      "Claude requested permissions to write to /var/tmp/mock-outside/outside.txt, but you haven't granted it yet.",
    );
    expect(failed[0]?.timestamp).toBe('2026-11-23T22:30:32.531Z');
    const denials = byKind(events, 'permission.denials');
    expect(denials).toHaveLength(1);
    expect(denials[0]?.type).toBe('error');
    expect(denials[0]?.payload.denials).toEqual([
      { tool: 'Write', path: '/var/tmp/mock-outside/outside.txt' },
      { tool: 'Read', path: '/var/tmp/mock-outside/outside.txt' },
    ]);
    expect(denials[0]?.payload.dirs).toEqual(['/var/tmp/mock-outside']);
    expect(denials[0]?.payload.text).toContain('Write /var/tmp/mock-outside/outside.txt');
  });

  it('outside (bypass): file tools carry the file', () => {
    const calls = byKind(run('outside'), 'tool.call');
    expect(calls.map((e) => [e.payload.tool, e.payload.file])).toEqual([
      ['Write', '/var/tmp/mock-outside/outside.txt'],
      ['Read', '/var/tmp/mock-outside/outside.txt'],
    ]);
  });

  it('permdenied: tool.failed with exit code 126 and "Permission denied"', () => {
    const failed = byKind(run('permdenied'), 'tool.failed')[0];
    expect(failed?.payload.exitCode).toBe(126);
    expect(failed?.payload.text).toContain('/bin/bash: line 1: ./noexec.sh: Permission denied');
  });

  it('disallowed-tool: the refusal is a tool.failed without the XML-ish tags', () => {
    const failed = byKind(run('disallowed-tool'), 'tool.failed')[0];
    expect(failed?.payload.text).toBe(
      'Bash failed: Error: No such tool available: Bash. Bash exists but is not enabled in this context. Use one of the available tools instead.',
    );
  });

  it('schema: structured_output becomes payload.structured; the answer tool is not a tool call', () => {
    const events = run('schema');
    expect(kinds(events)).toEqual(['run.started', 'run.completed']);
    expect(events[1]?.payload.structured).toEqual({ answer: 'hello', count: 2 });
  });

  it('resume-1 and resume-2 report the same session id', () => {
    const id = '0c1a0de0-0000-4000-8000-00000000c1a0';
    for (const scenario of ['resume-1', 'resume-2']) {
      const events = run(scenario);
      expect(byKind(events, 'run.started')[0]?.payload.agentSessionId).toBe(id);
      expect(byKind(events, 'run.completed')[0]?.payload.agentSessionId).toBe(id);
    }
  });

  it('max-turns: run.failed with the reason and usage, no process.failed', () => {
    const events = run('max-turns');
    const failed = byKind(events, 'run.failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.payload.text).toBe('Reached maximum number of turns (1)');
    expect(failed[0]?.payload.subtype).toBe('error_max_turns');
    expect(failed[0]?.usage).toMatchObject({ inputTokens: 102, outputTokens: 12 });
    expect(byKind(events, 'process.failed')).toEqual([]);
  });

  it('empty: the synthetic nudge is a warning, the run completes without an answer', () => {
    const events = run('empty');
    expect(kinds(events)).toEqual(['run.started', 'agent.warning', 'run.completed']);
    expect(events[1]?.payload.severity).toBe('warning');
    expect(events[1]?.timestamp).toBe('2026-11-23T22:30:41.991Z');
    expect(events[2]?.payload.text).toBe('Claude Code finished without a text answer');
  });

  it('hooks: one event per finished hook, none per started hook', () => {
    const hooks = byKind(run('hooks'), 'hook.completed');
    expect(hooks.map((e) => e.payload.text)).toEqual([
      'hook PreToolUse:Bash ran: hook-pre-ran',
      'hook PostToolUse:Bash ran: hook-post-ran',
      'hook Stop ran: hook-stop-ran',
    ]);
  });

  it('tool-partial: stream_event lines add nothing; same events as the plain tool run', () => {
    const partial = run('tool-partial');
    expect(byKind(partial, 'tool.call')).toHaveLength(1);
    expect(kinds(partial)).toEqual(kinds(run('tool')));
  });

  it('single-document json output: the result object, or the verbose array of messages', () => {
    expect(kinds(run('text-json'))).toEqual(['run.completed']);
    expect(kinds(run('tool-json'))).toEqual(['run.completed']);
    expect(kinds(run('tool-json-verbose'))).toEqual(kinds(run('tool')));
  });

  it.each(['root-refusal', 'text-no-verbose'])('%s (.stdout.txt): only finish() speaks, explaining exit 1', (scenario) => {
    const t = loadTranscript('claude', scenario);
    expect(t.stdoutKind).toBe('txt');
    const events = run(scenario);
    expect(kinds(events)).toEqual(['process.failed']);
    expect(events[0]?.type).toBe('error');
    expect(events[0]?.payload.exitCode).toBe(1);
    expect(events[0]?.payload.text).toMatch(/exited with code 1 \(a general failure/);
  });
});

describe('claude translator: garbage never throws', () => {
  const garbage = [
    '\u0000\u0001\u00ff\ufffdbinary',
    '{"type":"assistant","message":{"content":[{"type":"te',
    '[1,2,3]',
    '[]',
    '42',
    'null',
    '"just a string"',
    'true',
    '{}',
    '{"type":42}',
    '{"type":"mystery_line","x":1}',
    '{"type":"assistant"}',
    '{"type":"assistant","message":{"content":"not a list"}}',
    '{"type":"user","message":{}}',
    '{"type":"result","usage":{"input_tokens":-5}}',
    '{"type":"system","subtype":"api_retry","attempt":"one"}',
  ];

  it.each(garbage)('%j becomes one unparseable warning keeping the raw text', (line) => {
    const { events } = feed([line]);
    expect(events).toHaveLength(1);
    const e = AgentEventDraft.parse(events[0]);
    expect(e.payload.kind).toBe('stream.unparseable');
    expect(e.payload.raw).toBe(line);
  });

  it('ignores blank lines, known housekeeping lines and unknown system subtypes', () => {
    const lines = ['', '   ', '{"type":"keep_alive"}', '{"type":"rate_limit_event","rate_limit_info":{}}', '{"type":"system","subtype":"brand_new"}'];
    expect(feed(lines).events).toEqual([]);
  });

  it('keeps going after garbage', () => {
    const text = loadTranscript('claude', 'text');
    const lines = stdoutUnits(text);
    const { events } = feed([lines[0] ?? '', '{"oops', ...lines.slice(1)]);
    expect(kinds(events)).toEqual(['run.started', 'stream.unparseable', 'agent.message', 'run.completed']);
  });
});

const assistantLine = (content: unknown[]): string =>
  JSON.stringify({ type: 'assistant', message: { id: 'm', model: 'claude-opus-4-8', content }, session_id: 's' });
const toolResultLine = (id: string, content: unknown, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    type: 'user',
    message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content, ...extra }] },
    timestamp: 'not a time',
  });

describe('claude translator: todos, tasks and reporting tools', () => {
  it('TodoWrite becomes a task event with todos and progress; its result adds nothing', () => {
    const todos = [
      { content: 'Write tests', status: 'completed', activeForm: 'Writing tests' },
      { content: 'Fix bug', status: 'in_progress', activeForm: 'Fixing bug' },
    ];
    const { events } = feed([
      assistantLine([{ type: 'tool_use', id: 't1', name: 'TodoWrite', input: { todos } }]),
      toolResultLine('t1', 'Todos have been modified successfully.'),
    ]);
    expect(events).toHaveLength(1);
    expect(events[0]?.type).toBe('task');
    expect(events[0]?.payload).toMatchObject({
      kind: 'plan.updated',
      progress: 50,
      todos: [
        { text: 'Write tests', status: 'completed' },
        { text: 'Fix bug', status: 'in_progress' },
      ],
    });
  });

  it('TaskCreate and TaskUpdate keep a task list', () => {
    const { events, state } = feed([
      assistantLine([{ type: 'tool_use', id: 'c1', name: 'TaskCreate', input: { subject: 'Add parser', description: 'd' } }]),
      toolResultLine('c1', 'Task #1 created successfully: Add parser'),
      assistantLine([{ type: 'tool_use', id: 'c2', name: 'TaskCreate', input: { subject: 'Add tests', description: 'd' } }]),
      JSON.stringify({
        type: 'user',
        message: { content: [{ type: 'tool_result', tool_use_id: 'c2', content: 'created' }] },
        tool_use_result: { task: { id: '7', subject: 'Add tests' } },
      }),
      assistantLine([{ type: 'tool_use', id: 'u1', name: 'TaskUpdate', input: { taskId: '1', status: 'completed' } }]),
      toolResultLine('u1', 'Updated task #1 status'),
      assistantLine([{ type: 'tool_use', id: 'u2', name: 'TaskUpdate', input: { taskId: '7', status: 'deleted' } }]),
    ]);
    expect(events.map((e) => e.type)).toEqual(['task', 'task', 'task', 'task']);
    expect(events[2]?.payload.todos).toEqual([
      { text: 'Add parser', status: 'completed' },
      { text: 'Add tests', status: 'pending' },
    ]);
    expect(events[3]?.payload.todos).toEqual([{ text: 'Add parser', status: 'completed' }]);
    expect(state.tasks.map((t) => t.id)).toEqual(['1']);
    expect(state.tools).toEqual({ u2: { name: 'TaskUpdate', quiet: true } });
  });

  it('a call to the orchestrator reporting tools becomes that event, not a tool.call', () => {
    const { events } = feed([
      assistantLine([
        { type: 'tool_use', id: 'r1', name: 'mcp__orchestrate__report_milestone', input: { summary: 'Parser done', progress: 60 } },
      ]),
      toolResultLine('r1', [{ type: 'text', text: 'recorded' }]),
      assistantLine([{ type: 'tool_use', id: 'r2', name: 'mcp__other__report_milestone', input: {} }]),
    ]);
    expect(events.map((e) => [e.type, e.payload.kind])).toEqual([
      ['milestone', 'report.milestone'],
      ['progress', 'tool.call'],
    ]);
    expect(events[0]?.payload).toMatchObject({ text: 'Parser done', progress: 60 });
  });

  it('a failed reporting call is still shown; an invalid timestamp is dropped', () => {
    const { events } = feed([
      assistantLine([{ type: 'tool_use', id: 'r1', name: 'mcp__orchestrate__report_blocker', input: { reason: 'stuck' } }]),
      toolResultLine('r1', 'MCP server unavailable', { is_error: true }),
    ]);
    expect(events[1]?.payload).toMatchObject({ kind: 'tool.failed', tool: 'mcp__orchestrate__report_blocker' });
    expect(events[1]?.timestamp).toBeUndefined();
  });

  it('a result for an unknown tool id is still reported', () => {
    const { events } = feed([toolResultLine('nope', [{ type: 'image' }, { type: 'text', text: 'ok' }])]);
    expect(events[0]?.payload).toMatchObject({ kind: 'tool.result', tool: 'tool', output: '[image]\nok' });
  });
});

describe('claude finish()', () => {
  it('exit 0 without a result line: a warning', () => {
    expect(kinds(finish(initialState(), { exitCode: 0, signal: null }))).toEqual(['agent.warning']);
  });

  it('a signal is explained in words', () => {
    const [e] = finish(initialState(), { exitCode: null, signal: 'SIGKILL' });
    expect(e?.payload).toMatchObject({ kind: 'process.failed', text: 'Claude Code was ended by SIGKILL', exitCode: null });
  });

  it('a synthetic API error without its result line is flushed as api.error and explains the exit', () => {
    const { state } = feed([
      JSON.stringify({
        type: 'assistant',
        message: { model: '<synthetic>', content: [{ type: 'text', text: 'API Error: 529 Overloaded' }] },
        error: 'overloaded',
      }),
    ]);
    const events = finish(state, { exitCode: 1, signal: null });
    expect(kinds(events)).toEqual(['api.error']);
    expect(events[0]?.payload.text).toBe('API Error: 529 Overloaded');
  });

  it('nothing more after a failed result already explained the exit', () => {
    const t = loadTranscript('claude', 'error500');
    const { state } = feed(stdoutUnits(t));
    expect(finish(state, { exitCode: 1, signal: null })).toEqual([]);
  });
});
