import { describe, expect, it } from 'vitest';
import { codexAdapter } from '../../../src/agents/codex/adapter.js';
import { finish, initialState, translate, type CodexState } from '../../../src/agents/codex/translate.js';
import { AgentEventDraft } from '../../../src/protocol/index.js';
import { byKind, listScenarios, loadTranscript, translateTranscript } from '../../helpers/transcripts.js';

const run = (scenario: string): AgentEventDraft[] => translateTranscript(codexAdapter, loadTranscript('codex', scenario));

function feed(lines: unknown[]): { events: AgentEventDraft[]; state: CodexState } {
  let state = initialState();
  const events: AgentEventDraft[] = [];
  for (const line of lines) {
    const result = translate(typeof line === 'string' ? line : JSON.stringify(line), state);
    events.push(...result.events);
    state = result.state;
  }
  return { events, state };
}

describe('codex translator over every recorded transcript', () => {
  for (const scenario of listScenarios('codex')) {
    it(`${scenario}: valid events, one run.completed with usage when the run succeeded`, () => {
      const t = loadTranscript('codex', scenario);
      const events = translateTranscript(codexAdapter, t);
      for (const e of events) expect(() => AgentEventDraft.parse(e)).not.toThrow();
      if (t.meta.exitCode === 0 && t.stdoutKind === 'jsonl') {
        const completed = byKind(events, 'run.completed');
        expect(completed).toHaveLength(1);
        expect(completed[0]?.usage).toBeDefined();
        expect(events.at(-1)?.payload.kind).toBe('run.completed');
      }
      if (t.meta.exitCode !== 0) expect(events.some((e) => e.type === 'error')).toBe(true);
    });
  }
});

describe('codex translator, per scenario', () => {
  it('text: run.started with the thread id, the answer, usage', () => {
    const events = run('text');
    expect(events[0]?.payload).toMatchObject({ kind: 'run.started', agentSessionId: '01a20a88-9acd-7541-aba7-629f0c30653f' });
    expect(byKind(events, 'agent.message')[0]?.payload.text).toBe('MOCK_TEXT_OK: hello from the mock model.');
    const done = byKind(events, 'run.completed')[0];
    expect(done?.payload.text).toBe('MOCK_TEXT_OK: hello from the mock model.');
    expect(done?.usage).toEqual({ inputTokens: 201, outputTokens: 12, cachedTokens: 0 });
    expect(done?.payload.structured).toBeUndefined();
  });

  it('multi: two shell calls with their results, the final text and summed usage', () => {
    const events = run('multi');
    const calls = byKind(events, 'tool.call');
    expect(calls.map((e) => e.payload.command)).toEqual([
      "/bin/bash -lc 'echo step1 > step1.txt'",
      "/bin/bash -lc 'cat step1.txt; ls'",
    ]);
    expect(calls.every((e) => e.type === 'progress' && e.payload.tool === 'shell')).toBe(true);
    const results = byKind(events, 'tool.result');
    expect(results).toHaveLength(2);
    expect(results[1]?.payload).toMatchObject({ exitCode: 0, text: expect.stringContaining('step1.txt') as unknown });
    const done = byKind(events, 'run.completed')[0];
    expect(done?.payload.text).toMatch(/^MOCK_MULTI_DONE/);
    expect(done?.usage).toEqual({ inputTokens: 606, outputTokens: 36, cachedTokens: 0 });
  });

  it('tool and tool-fn (code mode and function mode) look the same', () => {
    for (const scenario of ['tool', 'tool-fn']) {
      const events = run(scenario);
      expect(byKind(events, 'tool.call')).toHaveLength(1);
      expect(byKind(events, 'tool.result')[0]?.payload.text).toBe('shell exited 0: out.txt');
    }
  });

  it('patch / patch-fn: file_change becomes an apply_patch call with the file', () => {
    for (const scenario of ['patch', 'patch-fn']) {
      const call = byKind(run(scenario), 'tool.call')[0];
      expect(call?.payload).toMatchObject({ tool: 'apply_patch', file: `/tmp/agent-rec/codex/${scenario}/ws/hello.txt` });
    }
  });

  it('think: reasoning becomes agent.thinking', () => {
    const thinking = byKind(run('think'), 'agent.thinking');
    expect(thinking).toHaveLength(1);
    expect(thinking[0]?.payload.text).toBe('MOCK_THINKING: the user wants a greeting; answer directly.');
  });

  it('permdenied (both tool modes): tool.failed with the real string and exit code 126', () => {
    for (const scenario of ['permdenied', 'permdenied-codemode']) {
      const failed = byKind(run(scenario), 'tool.failed');
      expect(failed).toHaveLength(1);
      expect(failed[0]?.type).toBe('error');
      expect(failed[0]?.payload.exitCode).toBe(126);
      expect(failed[0]?.payload.text).toContain('/bin/bash: line 1: ./noexec.sh: Permission denied');
    }
  });

  it('sandbox denials are invisible in --json (no command item), the run still completes', () => {
    const events = run('sandbox-readonly');
    expect(byKind(events, 'tool.call')).toHaveLength(0);
    expect(byKind(events, 'run.completed')).toHaveLength(1);
  });

  it('schema: the JSON answer is structured', () => {
    const done = byKind(run('schema'), 'run.completed')[0];
    expect(done?.payload.structured).toEqual({ answer: 'hello', count: 2 });
  });

  it('resume-1 and resume-2 report the same thread id', () => {
    const id1 = byKind(run('resume-1'), 'run.started')[0]?.payload.agentSessionId;
    const id2 = byKind(run('resume-2'), 'run.started')[0]?.payload.agentSessionId;
    expect(id1).toBe('01a20a88-ca18-7b10-8dfd-e6dfb51ad884');
    expect(id2).toBe(id1);
  });

  it('error500: five api.retry warnings, then api.error and run.failed, no process.failed', () => {
    const events = run('error500');
    const retries = byKind(events, 'api.retry');
    expect(retries).toHaveLength(5);
    expect(retries.every((e) => e.payload.severity === 'warning' && e.type === 'status')).toBe(true);
    expect(byKind(events, 'api.error')[0]?.payload.text).toContain('experiencing high demand');
    expect(byKind(events, 'run.failed')).toHaveLength(1);
    expect(byKind(events, 'process.failed')).toHaveLength(0);
  });

  it('error401 / error401-noretry: auth errors carry apiStatus 401', () => {
    for (const scenario of ['error401', 'error401-noretry']) {
      const events = run(scenario);
      expect(byKind(events, 'api.error')[0]?.payload).toMatchObject({ apiStatus: 401 });
      expect(byKind(events, 'run.failed')[0]?.payload.text).toContain('unexpected status 401 Unauthorized');
    }
    expect(byKind(run('error401'), 'api.retry')).toHaveLength(5);
  });

  it('no-key: the missing variable is named', () => {
    expect(byKind(run('no-key'), 'run.failed')[0]?.payload.text).toContain('Missing environment variable: `MOCK_API_KEY`.');
  });

  it('unknown-model: the error item is a warning, not a failure', () => {
    const events = run('unknown-model');
    const warning = byKind(events, 'agent.warning')[0];
    expect(warning?.payload.severity).toBe('warning');
    expect(warning?.payload.text).toContain('Model metadata for `gpt-5.1-codex` not found');
    expect(events.filter((e) => e.type === 'error')).toHaveLength(0);
  });

  it('empty: an empty answer is a warning and the run completes without text', () => {
    const events = run('empty');
    expect(byKind(events, 'agent.message')).toHaveLength(0);
    expect(byKind(events, 'agent.warning')).toHaveLength(1);
    expect(byKind(events, 'run.completed')[0]?.payload.text).toMatch(/without a final answer/);
  });

  it('nogit (.stdout.txt, exit 1): only process.failed explains the exit', () => {
    const events = run('nogit');
    expect(events).toHaveLength(1);
    expect(events[0]?.payload).toMatchObject({ kind: 'process.failed', exitCode: 1 });
  });

  it('text-plain (.stdout.txt, exit 0): the text line is unparseable, then a warning', () => {
    const events = run('text-plain');
    expect(events.map((e) => e.payload.kind)).toEqual(['stream.unparseable', 'agent.warning']);
    expect(events[0]?.payload.raw).toBe('MOCK_TEXT_OK: hello from the mock model.');
  });
});

describe('codex translator, items not in the recordings', () => {
  it('todo_list updates become task events, repeats of the same list stay quiet', () => {
    const list = (done: boolean) => ({
      id: 'item_5',
      type: 'todo_list',
      items: [
        { text: 'write tests', completed: done },
        { text: 'fix bug', completed: false },
      ],
    });
    const { events } = feed([
      { type: 'item.started', item: list(false) },
      { type: 'item.updated', item: list(true) },
      { type: 'item.completed', item: list(true) },
    ]);
    expect(events.map((e) => e.type)).toEqual(['task', 'task']);
    expect(events[1]?.payload.todos).toEqual([
      { text: 'write tests', status: 'completed' },
      { text: 'fix bug', status: 'pending' },
    ]);
    expect(events[1]?.payload.progress).toBe(50);
  });

  it('an orchestrator MCP reporting call becomes its own event, once', () => {
    const item = { id: 'i1', type: 'mcp_tool_call', server: 'orchestrate', tool: 'report_milestone', arguments: { summary: 'API done' } };
    const { events } = feed([
      { type: 'item.started', item: { ...item, status: 'in_progress' } },
      { type: 'item.completed', item: { ...item, status: 'completed', result: { content: [] } } },
    ]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'milestone', payload: { kind: 'report.milestone', text: 'API done' } });
  });

  it('another server with the same tool name is a plain tool call', () => {
    const item = { id: 'i2', type: 'mcp_tool_call', server: 'other', tool: 'report_milestone', arguments: {} };
    const { events } = feed([{ type: 'item.completed', item: { ...item, status: 'failed', error: { message: 'boom' } } }]);
    expect(events.map((e) => e.payload.kind)).toEqual(['tool.call', 'tool.failed']);
    expect(events[1]?.payload.text).toContain('boom');
  });

  it('a declined command is a tool.failed', () => {
    const { events } = feed([
      { type: 'item.completed', item: { id: 'c', type: 'command_execution', command: 'rm -rf /', aggregated_output: '', exit_code: null, status: 'declined' } },
    ]);
    expect(events[1]?.payload).toMatchObject({ kind: 'tool.failed', command: 'rm -rf /' });
  });

  it('garbage never throws and becomes unparseable', () => {
    const garbage = ['\u0000\u0001\u00ff binary', '{"type":"turn.comp', '[1,2]', '42', 'null', '"str"', '{"no":"type"}', '{"type":"brand.new"}', '{"type":"thread.started"}', '{"type":"item.completed"}', '{"type":"item.completed","item":{"type":"hologram"}}', '{"type":"turn.completed","usage":"lots"}'];
    for (const line of garbage) {
      const { events } = feed([line]);
      expect(events).toHaveLength(1);
      expect(events[0]?.payload.kind).toBe('stream.unparseable');
      expect(() => AgentEventDraft.parse(events[0])).not.toThrow();
    }
    expect(feed(['', '   ', '{"type":"turn.started"}']).events).toHaveLength(0);
  });

  it('translate does not mutate the state it was given', () => {
    const state = initialState();
    const frozen = JSON.stringify(state);
    translate('{"type":"thread.started","thread_id":"t"}', state);
    translate('{"type":"item.started","item":{"id":"x","type":"command_execution","command":"ls"}}', state);
    expect(JSON.stringify(state)).toBe(frozen);
  });

  it('finish explains signals and usage errors, and stays quiet after turn.failed', () => {
    expect(finish(initialState(), { exitCode: null, signal: 'SIGKILL' })[0]?.payload.text).toContain('SIGKILL');
    expect(finish(initialState(), { exitCode: 2, signal: null })[0]?.payload.text).toContain('usage error');
    const failed = feed([{ type: 'turn.failed', error: { message: 'x' } }]).state;
    expect(finish(failed, { exitCode: 1, signal: null })).toEqual([]);
  });
});
