import { describe, expect, it } from 'vitest';
import { geminiAdapter } from '../../../src/agents/gemini/adapter.js';
import type { GeminiState } from '../../../src/agents/gemini/translate.js';
import { finish, initialState, translate } from '../../../src/agents/gemini/translate.js';
import type { AgentEventDraft } from '../../../src/protocol/index.js';
import { AgentEventDraft as EventSchema } from '../../../src/protocol/index.js';
import { byKind, listScenarios, loadTranscript, translateTranscript } from '../../helpers/transcripts.js';

const run = (scenario: string): AgentEventDraft[] => translateTranscript(geminiAdapter, loadTranscript('gemini', scenario));

function feed(lines: string[], exitCode: number | null = 0): AgentEventDraft[] {
  let state: GeminiState = initialState();
  const events: AgentEventDraft[] = [];
  for (const line of lines) {
    const r = translate(line, state);
    events.push(...r.events);
    state = r.state;
  }
  return [...events, ...finish(state, { exitCode, signal: null })];
}

const line = (o: Record<string, unknown>): string => JSON.stringify({ timestamp: '2026-11-23T22:32:04.624Z', ...o });

describe('gemini translate over every recorded transcript', () => {
  const scenarios = listScenarios('gemini');

  it('has the recorded scenarios', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(25);
  });

  it.each(scenarios)('%s: no exception, every event valid', (scenario) => {
    const events = run(scenario);
    for (const e of events) expect(() => EventSchema.parse(e)).not.toThrow();
  });

  it.each(scenarios)('%s: a successful run ends with exactly one run.completed carrying usage', (scenario) => {
    const t = loadTranscript('gemini', scenario);
    const events = run(scenario);
    const completed = byKind(events, 'run.completed');
    const resultOk = t.stdout.split('\n').some((l) => l.includes('"type":"result"') && l.includes('"status":"success"'));
    const succeeded = t.meta.exitCode === 0 && (t.stdoutKind === 'json' || (t.stdoutKind === 'jsonl' && resultOk));
    if (!succeeded) {
      expect(completed).toEqual([]);
      return;
    }
    expect(completed).toHaveLength(1);
    expect(events.at(-1)).toBe(completed[0]);
    expect(completed[0]?.usage?.inputTokens).toBeGreaterThan(0);
  });

  it.each(scenarios.filter((s) => loadTranscript('gemini', s).stdoutKind === 'txt'))(
    '%s: no stdout, the non-zero exit is explained in words',
    (scenario) => {
      const t = loadTranscript('gemini', scenario);
      const events = run(scenario);
      expect(events.every((e) => e.payload.kind === 'stream.unparseable' || e.payload.kind === 'process.failed')).toBe(true);
      const failed = byKind(events, 'process.failed');
      expect(failed).toHaveLength(1);
      expect(failed[0]?.payload.exitCode).toBe(t.meta.exitCode);
      expect(failed[0]?.payload.text).toMatch(/exited with code \d+, which means [a-z]/);
    },
  );
});

describe('gemini translate, per scenario', () => {
  it('text: session start, one buffered message, usage', () => {
    const events = run('text');
    expect(events.map((e) => e.payload.kind)).toEqual(['run.started', 'agent.message', 'run.completed']);
    expect(events[0]?.payload).toMatchObject({ agentSessionId: '539c7504-2b19-468c-a7d4-6589d062ec1a', model: 'auto' });
    expect(events[0]?.timestamp).toBe('2026-11-23T22:31:52.030Z');
    expect(events[1]?.payload.text).toBe('MOCK_TEXT_OK: hello from the mock model.');
    expect(events[1]?.timestamp).toBe('2026-11-23T22:31:52.090Z');
    expect(events[2]?.usage).toEqual({ inputTokens: 603, outputTokens: 24, cachedTokens: 0 });
    expect(events[2]?.payload.text).toBe('MOCK_TEXT_OK: hello from the mock model.');
  });

  it('multi: two tool calls with results, the final text and usage', () => {
    const events = run('multi');
    const calls = byKind(events, 'tool.call');
    expect(calls.map((e) => e.payload.command)).toEqual(['echo step1 > step1.txt', 'cat step1.txt; ls']);
    expect(calls.every((e) => e.type === 'progress' && e.payload.tool === 'run_shell_command')).toBe(true);
    const results = byKind(events, 'tool.result');
    expect(results).toHaveLength(2);
    expect(results[1]?.payload.output).toBe('step1\nstep1.txt');
    const done = byKind(events, 'run.completed')[0];
    expect(done?.payload.text).toMatch(/^MOCK_MULTI_DONE\. Tool output was: .*Process Group PGID: 3696/);
    expect(done?.usage).toEqual({ inputTokens: 1210, outputTokens: 48, cachedTokens: 0 });
    expect(done?.payload.models).toEqual(['gemini-3.5-flash-lite', 'gemini-3.8-flash']);
  });

  it('think: Gemini 0.61 does not stream thought parts, so there is no agent.thinking', () => {
    const events = run('think');
    expect(byKind(events, 'agent.thinking')).toEqual([]);
    expect(byKind(events, 'agent.message')).toHaveLength(1);
  });

  it('error500: api.error with apiStatus 500 and usage, exit 244 needs no more explanation', () => {
    const events = run('error500');
    const errors = byKind(events, 'api.error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.payload.apiStatus).toBe(500);
    expect(errors[0]?.payload.text).toContain('Internal error encountered. (mock)');
    expect(errors[0]?.usage).toEqual({ inputTokens: 0, outputTokens: 0, cachedTokens: 0 });
    expect(byKind(events, 'process.failed')).toEqual([]);
  });

  it('error401: an auth-ish api.error', () => {
    const [error] = byKind(run('error401'), 'api.error');
    expect(error?.type).toBe('error');
    expect(error?.payload.apiStatus).toBe(401);
    expect(error?.payload.text).toContain('API key not valid');
  });

  it('error500-json / error401-json: nothing on stdout, exit code read as HTTP status', () => {
    expect(byKind(run('error500-json'), 'process.failed')[0]?.payload).toMatchObject({ exitCode: 244, apiStatus: 500 });
    expect(byKind(run('error401-json'), 'process.failed')[0]?.payload).toMatchObject({ exitCode: 145, apiStatus: 401 });
  });

  it('error500-auto: killed by the recorder, explained by finish()', () => {
    const events = run('error500-auto');
    expect(events.map((e) => e.payload.kind)).toEqual(['run.started', 'process.failed']);
    expect(events[1]?.payload.text).toContain('SIGKILL');
  });

  it('outside: tool.failed with the real string and the file', () => {
    const failed = byKind(run('outside'), 'tool.failed');
    expect(failed.map((e) => e.payload.tool)).toEqual(['write_file', 'read_file']);
    for (const e of failed) {
      expect(e.type).toBe('error');
      expect(e.payload.file).toBe('/var/tmp/mock-outside/outside.txt');
      expect(e.payload.text).toContain('Path not in workspace: Attempted path "/var/tmp/mock-outside/outside.txt" resolves outside');
      expect(e.payload.errorType).toBe('invalid_tool_params');
    }
  });

  it('outside-included: the same calls succeed', () => {
    const events = run('outside-included');
    expect(byKind(events, 'tool.failed')).toEqual([]);
    expect(byKind(events, 'tool.call').map((e) => e.payload.file)).toEqual([
      '/var/tmp/mock-outside/outside.txt',
      '/var/tmp/mock-outside/outside.txt',
    ]);
  });

  it('permdenied: a shell refusal reported as "success" still becomes tool.failed', () => {
    const [failed] = byKind(run('permdenied'), 'tool.failed');
    expect(failed?.payload.text).toContain('/usr/bin/bash: line 4: ./noexec.sh: Permission denied');
    expect(failed?.payload.command).toContain('./noexec.sh');
    expect(byKind(run('tool'), 'tool.failed')).toEqual([]);
  });

  it('max-turns: run.failed with the turn-limit message and usage; exit 53 already explained', () => {
    const events = run('max-turns');
    const [failed] = byKind(events, 'run.failed');
    expect(failed?.payload.text).toContain('Reached max session turns');
    expect(failed?.payload.errorType).toBe('FatalTurnLimitedError');
    expect(failed?.usage).toEqual({ inputTokens: 603, outputTokens: 24, cachedTokens: 0 });
    expect(byKind(events, 'process.failed')).toEqual([]);
  });

  it('empty: the error line is kept and the run fails with its message, not run.completed', () => {
    const events = run('empty');
    expect(events.map((e) => e.payload.kind)).toEqual(['run.started', 'agent.error', 'run.failed']);
    expect(events[2]?.payload.text).toContain('empty response');
    expect(events[2]?.usage).toEqual({ inputTokens: 1515, outputTokens: 60, cachedTokens: 0 });
  });

  it('resume-1 / resume-2: the same agentSessionId', () => {
    const id = (s: string): unknown => byKind(run(s), 'run.started')[0]?.payload.agentSessionId;
    expect(id('resume-1')).toBe('9e3141ee-0000-4000-8000-0000000093e1');
    expect(id('resume-2')).toBe(id('resume-1'));
  });

  it('text-json / tool-json: the single json document gives session, answer and summed usage', () => {
    const events = run('tool-json');
    expect(events.map((e) => e.payload.kind)).toEqual(['run.started', 'agent.message', 'run.completed']);
    expect(events[0]?.payload.agentSessionId).toBe('f42bf730-da4b-4f5e-9906-144816fe324f');
    expect(events[2]?.usage).toEqual({ inputTokens: 906, outputTokens: 36, cachedTokens: 0 });
  });
});

describe('gemini translate, synthetic lines', () => {
  it('structured: a final answer that is one JSON object', () => {
    const answer = { verdict: 'approved', summary: 'ok', findings: [] };
    const events = feed([
      line({ type: 'init', session_id: 's', model: 'auto' }),
      line({ type: 'message', role: 'assistant', content: '{"verdict":"approved",', delta: true }),
      line({ type: 'message', role: 'assistant', content: '"summary":"ok","findings":[]}', delta: true }),
      line({ type: 'result', status: 'success', stats: { input_tokens: 5, output_tokens: 2, cached: 1 } }),
    ]);
    const done = byKind(events, 'run.completed')[0];
    expect(done?.payload.structured).toEqual(answer);
    expect(done?.usage).toEqual({ inputTokens: 5, outputTokens: 2, cachedTokens: 1 });
    const fenced = feed([
      line({ type: 'message', role: 'assistant', content: '```json\n{"a":1}\n```' }),
      line({ type: 'result', status: 'success', stats: {} }),
    ]);
    expect(byKind(fenced, 'run.completed')[0]?.payload.structured).toEqual({ a: 1 });
    const prose = feed([line({ type: 'message', role: 'assistant', content: 'Done {x}' }), line({ type: 'result', status: 'success' })]);
    expect(byKind(prose, 'run.completed')[0]?.payload.structured).toBeUndefined();
  });

  it('buffered text is flushed by the next non-message line and at finish()', () => {
    const events = feed([
      line({ type: 'message', role: 'assistant', content: 'Let me ', delta: true }),
      line({ type: 'message', role: 'assistant', content: 'look.', delta: true }),
      line({ type: 'tool_use', tool_name: 'read_file', tool_id: 't1', parameters: { file_path: '/repo/a.ts' } }),
      line({ type: 'message', role: 'assistant', content: 'tail', delta: true }),
    ]);
    expect(events.map((e) => [e.payload.kind, e.payload.text])).toEqual([
      ['agent.message', 'Let me look.'],
      ['tool.call', 'read_file: /repo/a.ts'],
      ['agent.message', 'tail'],
    ]);
    expect(events[1]?.payload.file).toBe('/repo/a.ts');
  });

  it('write_todos becomes a task event; its successful result adds nothing', () => {
    const events = feed([
      line({
        type: 'tool_use',
        tool_name: 'write_todos',
        tool_id: 'w1',
        parameters: { todos: [{ description: 'Read code', status: 'completed' }, { description: 'Fix bug', status: 'in_progress' }] },
      }),
      line({ type: 'tool_result', tool_id: 'w1', status: 'success', output: 'ok' }),
    ]);
    expect(events).toHaveLength(1);
    expect(events[0]?.type).toBe('task');
    expect(events[0]?.payload.todos).toEqual([
      { text: 'Read code', status: 'completed' },
      { text: 'Fix bug', status: 'in_progress' },
    ]);
    expect(events[0]?.payload.progress).toBe(50);
  });

  it('orchestrator MCP reporting tools become their own events', () => {
    const events = feed([
      line({ type: 'tool_use', tool_name: 'orchestrate__report_milestone', tool_id: 'm1', parameters: { summary: 'API done' } }),
      line({ type: 'tool_result', tool_id: 'm1', status: 'success', output: 'recorded' }),
      line({ type: 'tool_use', tool_name: 'report_blocker', tool_id: 'b1', parameters: { reason: 'no DB' } }),
      // Gemini 0.61's own spelling, seen with the real CLI against the mock provider.
      line({ type: 'tool_use', tool_name: 'mcp_orchestrate_report_finding', tool_id: 'f1', parameters: { text: 'weak hash' } }),
      line({ type: 'tool_use', tool_name: 'mcp_other_report_finding', tool_id: 'x1', parameters: { text: 'not ours' } }),
    ]);
    expect(events.filter((e) => (e.payload.kind ?? '').startsWith('report.')).map((e) => [e.type, e.payload.kind, e.payload.text])).toEqual([
      ['milestone', 'report.milestone', 'API done'],
      ['blocker', 'report.blocker', 'no DB'],
      ['finding', 'report.finding', 'weak hash'],
    ]);
  });

  it("a BeforeTool hook's deny (the guard) is a policy finding, as recorded with the real CLI", () => {
    const events = feed([
      line({ type: 'tool_use', tool_name: 'run_shell_command', tool_id: 's1', parameters: { command: 'rm -rf victim' } }),
      line({
        type: 'tool_result',
        tool_id: 's1',
        status: 'error',
        output: 'Tool execution blocked: orchestrate guard denied run_shell_command: blocked: recursive forced delete',
        error: { type: 'policy_violation', message: 'Tool execution blocked: orchestrate guard denied run_shell_command: blocked: recursive forced delete' },
      }),
    ]);
    const refused = events.find((e) => e.payload.kind === 'policy.refused');
    expect(refused).toMatchObject({ type: 'finding', payload: { command: 'rm -rf victim', severity: 'warning' } });
    expect(refused?.payload.text).toContain('recursive forced delete');
    expect(events.some((e) => e.payload.kind === 'tool.failed')).toBe(false);
  });

  it('warning and error lines', () => {
    const events = feed([
      line({ type: 'error', severity: 'warning', message: 'Loop detected, stopping execution' }),
      line({ type: 'error', severity: 'error', message: 'boom' }),
    ]);
    expect(events.map((e) => [e.type, e.payload.kind, e.payload.severity])).toEqual([
      ['status', 'agent.warning', 'warning'],
      ['error', 'agent.error', 'error'],
    ]);
  });

  it('garbage never throws', () => {
    const garbage = [
      '\u0000\u0001\u00ff binary',
      '{"type":"init","session_id":"abc"',
      '[1,2,3]',
      '42',
      'null',
      '"text"',
      '{"type":"thought_summary","text":"?"}',
      '{"no_type":true}',
      '{"type":"init","session_id":5}',
      '{"type":"tool_result","tool_id":"never-called","status":"success"}',
      '{"type":"result","status":"success","stats":{"input_tokens":-1}}',
      '{"type":"message","role":"assistant","content":"x","timestamp":"yesterday"}',
      '',
    ];
    const events = feed(garbage, 1);
    for (const e of events) expect(() => EventSchema.parse(e)).not.toThrow();
    const unparseable = byKind(events, 'stream.unparseable');
    expect(unparseable.length).toBeGreaterThanOrEqual(8);
    expect(unparseable.every((e) => e.type === 'error' && typeof e.payload.raw === 'string')).toBe(true);
    expect(events.some((e) => e.payload.kind === 'tool.result')).toBe(true);
    expect(byKind(events, 'process.failed')).toHaveLength(1);
  });
});
