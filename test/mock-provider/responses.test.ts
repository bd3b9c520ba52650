import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../src/mock-provider/dialects.js';
import type { Step } from '../../src/mock-provider/engine.js';
import { addFilePatch, stepItems, type OutputItem } from '../../src/mock-provider/responses-render.js';
import { isRequestError, readResponsesRequest, type ResponsesRequest } from '../../src/mock-provider/responses-request.js';
import { responsesErrorBody } from '../../src/mock-provider/responses.js';
import { parseScript, type MockScript } from '../../src/mock-provider/script.js';
import { startMockProvider, type MockProvider } from '../../src/mock-provider/server.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'requests', 'codex');

/** Request bodies as the real Codex CLI sent them (recordings, see the fixture folder). */
function bodies(name: string): unknown[] {
  return readFileSync(join(FIXTURES, `${name}.requests.jsonl`), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => (JSON.parse(l) as { body: unknown }).body);
}

function read(body: unknown): ResponsesRequest {
  const r = readResponsesRequest(body);
  if (isRequestError(r)) throw new Error(r.message);
  return r;
}

function script(value: unknown): MockScript {
  const s = parseScript(JSON.stringify(value));
  if ('kind' in s) throw new Error(s.message);
  return s;
}

type Sse = { event?: string; data: Record<string, unknown> };

function parseSse(text: string): Sse[] {
  return text
    .split('\n\n')
    .filter((b) => b.trim())
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? '{}';
      return { ...(event ? { event } : {}), data: JSON.parse(data) as Record<string, unknown> };
    });
}

const doneItems = (events: Sse[]): OutputItem[] =>
  events.filter((e) => e.data.type === 'response.output_item.done').map((e) => e.data.item as OutputItem);

let provider: MockProvider | undefined;
afterEach(async () => {
  await provider?.close();
  provider = undefined;
});

async function post(s: unknown, body: unknown, path = '/v1/responses'): Promise<{ status: number; text: string; requestId: string | null }> {
  provider ??= await startMockProvider({ script: script(s), dialects: DIALECTS });
  const res = await fetch(`${provider.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, text: await res.text(), requestId: res.headers.get('x-request-id') };
}

describe('reading recorded Codex requests', () => {
  it('code mode (default model): prompt, cwd, nested tools, one action turn after the exec call', () => {
    const [first, second] = bodies('tool').map(read);
    expect(first).toMatchObject({
      model: 'gpt-6.1-sol',
      mode: 'code',
      cwd: '/tmp/agent-rec/codex/tool/ws',
      wantsJson: false,
      conversation: { cli: 'codex', prompt: 'Create out.txt containing hello', actionTurns: 0 },
    });
    expect(first?.toolNames).toEqual(expect.arrayContaining(['exec_command', 'apply_patch']));
    expect(second?.conversation.actionTurns).toBe(1);
  });

  it('classic tools (-m gpt-5.5): function tools, one turn per call', () => {
    const [first] = bodies('tool-fn').map(read);
    expect(first?.mode).toBe('classic');
    expect(first?.toolNames).toEqual(expect.arrayContaining(['exec_command', 'apply_patch']));
    expect(first?.mcp.canSearch).toBe(true);
    expect(bodies('multi').map((b) => read(b).conversation.actionTurns)).toEqual([0, 1, 2]);
  });

  it('--output-schema asks for JSON text', () => {
    expect(read(bodies('schema')[0]).wantsJson).toBe(true);
  });

  it('resume: the latest prompt counts, earlier turns do not', () => {
    const [first, second] = bodies('resume-2').map(read);
    expect(first?.conversation).toMatchObject({ prompt: 'Second turn', actionTurns: 0 });
    expect(second?.conversation).toMatchObject({ prompt: 'Second turn', actionTurns: 1 });
  });

  it('MCP tools: found by tool_search (classic), announced as deferred namespaces (code mode)', () => {
    const search = bodies('mcp-search-fn').map(read);
    expect(search.map((r) => r.conversation.actionTurns)).toEqual([0, 0, 1]);
    expect(search[0]?.mcp.namespaces).toEqual([]);
    expect(search[1]?.mcp).toMatchObject({ namespaces: ['mcp__orchestrate'], searched: [0] });
    expect(read(bodies('mcp-codemode')[1]).mcp.namespaces).toEqual(['mcp__orchestrate']);
  });

  it('prefers the latest user message with the orchestrator header; own call ids name the step', () => {
    const header = '[orchestrate role=implementer mode=work kind=implement task=t1] go';
    const r = read({
      model: 'm',
      input: [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: header }] },
        { type: 'function_call', name: 'exec_command', arguments: '{}', call_id: 'call_mock_3_abc' },
        { type: 'function_call_output', call_id: 'call_mock_3_abc', output: 'ok' },
        { type: 'tool_search_call', call_id: 'call_mocksearch_4_abc', arguments: {} },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: '<environment_context>\n</environment_context>' }] },
      ],
    });
    expect(r.conversation).toEqual({ cli: 'codex', prompt: header, actionTurns: 4 });
    expect(r.mcp.searched).toEqual([4]);
    expect(read({ input: 'just text' }).conversation).toMatchObject({ prompt: 'just text', actionTurns: 0 });
  });

  it('an unreadable body is an error value', () => {
    for (const body of [undefined, null, 42, {}, { input: 7 }, { input: [{ content: 5 }] }]) {
      const r = readResponsesRequest(body);
      expect(isRequestError(r) && r.kind).toBe('request.invalid');
    }
  });
});

describe('rendering steps', () => {
  const code = read(bodies('tool')[0]);
  const classic = read(bodies('tool-fn')[0]);
  const action = (a: unknown, index = 0): Exclude<Step, { kind: 'error' }> => ({
    kind: 'action',
    action: script({ rules: [{ respond: { actions: [a] } }] }).rules[0]!.respond.actions[0]!,
    index,
    delayMs: 0,
  });

  it('shell: exec JavaScript in code mode, exec_command in classic mode', () => {
    const [c] = stepItems(code, action({ shell: 'echo "hi" > a.txt' }, 2));
    expect(c).toMatchObject({ type: 'custom_tool_call', name: 'exec', namespace: 'functions', call_id: expect.stringMatching(/^call_mock_2_/) as unknown });
    expect(c?.type === 'custom_tool_call' && c.input).toBe('const r = await tools.exec_command({"cmd":"echo \\"hi\\" > a.txt"});\ntext(r);\n');
    const [f] = stepItems(classic, action({ shell: 'ls' }));
    expect(f).toMatchObject({ type: 'function_call', name: 'exec_command', arguments: '{"cmd":"ls"}' });
  });

  it('write: apply_patch (nested or freeform), a heredoc when no apply_patch is offered', () => {
    const patch = addFilePatch('src/a.txt', 'one\ntwo\n');
    expect(patch).toBe('*** Begin Patch\n*** Add File: src/a.txt\n+one\n+two\n*** End Patch\n');
    const [c] = stepItems(code, action({ write: { path: 'src/a.txt', content: 'one\ntwo\n' } }));
    expect(c?.type === 'custom_tool_call' && c.input).toContain(`tools.apply_patch(${JSON.stringify(patch)})`);
    const [f] = stepItems(classic, action({ write: { path: 'src/a.txt', content: 'one\ntwo\n' } }));
    expect(f).toMatchObject({ type: 'custom_tool_call', name: 'apply_patch', input: patch });
    const bare = { ...classic, toolNames: ['exec_command'] };
    const [h] = stepItems(bare, action({ write: { path: 'a b.txt', content: 'x' } }));
    expect(h?.type === 'function_call' && (JSON.parse(h.arguments) as { cmd: string }).cmd).toBe("mkdir -p \"$(dirname 'a b.txt')\" && cat > 'a b.txt' <<'MOCK_EOF'\nx\nMOCK_EOF");
  });

  it('report: waits for the deferred MCP tools, then tools.mcp__orchestrate__<tool> (code) or the namespaced function (classic)', () => {
    const report = { report: { tool: 'report_milestone', arguments: { text: 'done' } } };
    const mcp = (r: ResponsesRequest, namespaces: string[], searched: number[] = []): ResponsesRequest => ({ ...r, mcp: { ...r.mcp, namespaces, searched } });
    const [wait] = stepItems(code, action(report, 1));
    expect(wait).toMatchObject({ type: 'custom_tool_call', name: 'exec', call_id: expect.stringMatching(/^call_mocksearch_1_/) as unknown });
    expect(wait?.type === 'custom_tool_call' && wait.input).toContain('waiting for the MCP tools');
    const [c] = stepItems(read(bodies('mcp-codemode')[1]), action(report));
    expect(c?.type === 'custom_tool_call' && c.input).toBe('const r = await tools.mcp__orchestrate__report_milestone({"text":"done"});\ntext(r);\n');
    const [search] = stepItems(classic, action(report, 1));
    expect(search).toMatchObject({ type: 'tool_search_call', execution: 'client', call_id: expect.stringMatching(/^call_mocksearch_1_/) as unknown });
    expect(stepItems(mcp(classic, ['mcp__orchestrate']), action(report))[0]).toMatchObject({
      type: 'function_call',
      name: 'report_milestone',
      namespace: 'mcp__orchestrate',
      arguments: '{"text":"done"}',
    });
    expect(stepItems(mcp(classic, [], [0]), action(report))[0]).toMatchObject({ type: 'tool_search_call' });
    expect(JSON.stringify(stepItems(mcp(classic, [], Array<number>(10).fill(0)), action(report)))).toContain('is not offered');
    expect(JSON.stringify(stepItems(mcp(code, ['mcp__other'], [0]), action(report)))).toContain('is not offered');
    expect(stepItems(code, action({ report: { ...report.report, name: 'custom_tool' } }))[0]).toMatchObject({ input: expect.stringContaining('tools.custom_tool(') as unknown });
  });

  it('fail: running the non-executable path, writing outside the workspace', () => {
    const [p] = stepItems(classic, action({ fail: { kind: 'permission_denied' } }));
    expect(p).toMatchObject({ type: 'function_call', name: 'exec_command', arguments: '{"cmd":"./noexec.sh"}' });
    const [o] = stepItems(classic, action({ fail: { kind: 'path_outside_workspace' } }));
    expect(o?.type === 'custom_tool_call' && o.input).toContain('*** Add File: /var/tmp/orchestrate-outside/outside.txt');
  });

  it('final: text, the structured answer as JSON text, both as two messages', () => {
    const final = (text?: string, structured?: unknown): Step => ({ kind: 'final', ...(text !== undefined ? { text } : {}), ...(structured !== undefined ? { structured } : {}), delayMs: 0, hang: false });
    const texts = (s: Step): string[] => stepItems(code, s as Exclude<Step, { kind: 'error' }>).map((i) => (i.type === 'message' ? (i.content[0]?.text ?? '') : ''));
    expect(texts(final('hi'))).toEqual(['hi']);
    expect(texts(final(undefined, { verdict: 'approve' }))).toEqual(['{"verdict":"approve"}']);
    expect(texts(final('Looked.', { verdict: 'approve' }))).toEqual(['Looked.', '{"verdict":"approve"}']);
    expect(texts(final())).toEqual(['']);
  });
});

describe('the dialect over HTTP (startMockProvider + fetch)', () => {
  const codeBody = bodies('tool')[0];

  it('streams a whole answer with usage, in order, with sequence numbers', async () => {
    const res = await post({ rules: [{ respond: { text: 'hello from the mock, in a few chunks of text' } }] }, codeBody);
    expect(res.status).toBe(200);
    const events = parseSse(res.text);
    expect(events.map((e) => e.data.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.every((e) => e.event === e.data.type)).toBe(true);
    expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i));
    const deltas = events.filter((e) => e.data.type === 'response.output_text.delta').map((e) => e.data.delta as string);
    expect(deltas.join('')).toBe('hello from the mock, in a few chunks of text');
    const usage = (events.at(-1)?.data.response as { usage: { input_tokens: number; output_tokens: number; total_tokens: number } }).usage;
    expect(usage.input_tokens).toBeGreaterThan(1000);
    expect(usage.total_tokens).toBe(usage.input_tokens + usage.output_tokens);
  });

  it('walks the actions by the calls sent back; todos are passed over (Codex has no todo tool)', async () => {
    const s = { rules: [{ respond: { actions: [{ todos: [{ text: 'plan', status: 'in_progress' }] }, { shell: 'echo one' }], text: 'done' } }] };
    const first = doneItems(parseSse((await post(s, codeBody)).text));
    expect(first[0]).toMatchObject({ type: 'custom_tool_call', call_id: expect.stringMatching(/^call_mock_1_/) as unknown });
    const input = [...(codeBody as { input: unknown[] }).input, first[0], { type: 'custom_tool_call_output', call_id: first[0]?.type === 'custom_tool_call' ? first[0].call_id : '', output: 'ok' }];
    const second = doneItems(parseSse((await post(s, { ...(codeBody as object), input })).text));
    expect(second).toMatchObject([{ type: 'message', content: [{ text: 'done' }] }]);
  });

  it('a scripted error is the HTTP status with OpenAI’s error body', async () => {
    const res = await post({ rules: [{ respond: { error: { status: 401, message: 'Incorrect API key provided (mock)' } } }] }, codeBody);
    expect(res.status).toBe(401);
    expect(res.requestId).toMatch(/^req_/);
    expect(JSON.parse(res.text)).toEqual({ error: { message: 'Incorrect API key provided (mock)', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
    expect(responsesErrorBody(500, 'x').error).toMatchObject({ type: 'server_error' });
  });

  it('answers unreadable bodies and bad JSON with a 400 in the same shape; other paths 404', async () => {
    const bad = await post({ rules: [] }, { input: 12 });
    expect(bad.status).toBe(400);
    expect((JSON.parse(bad.text) as { error: { message: string; type: string } }).error).toMatchObject({ type: 'invalid_request_error', message: expect.stringContaining('cannot read the Responses request') as unknown });
    const res = await fetch(`${provider?.url ?? ''}/responses`, { method: 'POST', body: '{not json' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('not JSON');
    expect((await fetch(`${provider?.url ?? ''}/v1/models`)).status).toBe(404);
  });

  it('honours delayMs between events', async () => {
    const started = Date.now();
    const res = await post({ rules: [{ respond: { text: 'slow', delayMs: 40 } }] }, codeBody);
    expect(parseSse(res.text).length).toBe(9);
    expect(Date.now() - started).toBeGreaterThanOrEqual(8 * 40 - 10);
  });

  it('hang: the stream starts and never completes, until the client goes away', async () => {
    provider = await startMockProvider({ script: script({ rules: [{ respond: { text: 'never', behavior: 'hang' } }] }), dialects: DIALECTS });
    const abort = new AbortController();
    const res = await fetch(`${provider.url}/v1/responses`, { method: 'POST', body: JSON.stringify(codeBody), signal: abort.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('response.created');
    const more = await Promise.race([reader.read().then(() => 'data'), new Promise((r) => setTimeout(() => r('waiting'), 300))]);
    expect(more).toBe('waiting');
    abort.abort();
    await expect(reader.read()).rejects.toThrow();
    expect(provider.engine.calls.at(-1)?.step).toBe('final');
  });
});
