import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isRequestError, readClaudeRequest, type ClaudeRequest } from '../../src/mock-provider/anthropic-request.js';
import { AFTER_STRUCTURED_TEXT, DEFAULT_FINAL_TEXT, DEFAULT_OUTSIDE, mcpToolName } from '../../src/mock-provider/anthropic-render.js';
import { SIDE_ANSWER } from '../../src/mock-provider/anthropic.js';
import { DIALECTS } from '../../src/mock-provider/dialects.js';
import { MockScript } from '../../src/mock-provider/script.js';
import { startMockProvider, type MockProvider } from '../../src/mock-provider/server.js';

/** Request bodies Claude Code 2.1.197 really sent (copied from the shared recordings). */
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'requests', 'claude');
type Body = { messages: { role: string; content: unknown }[]; tools?: { name: string }[]; system?: unknown; stream?: boolean };

function recorded(scenario: string): Body[] {
  return readFileSync(join(FIXTURES, `${scenario}.requests.jsonl`), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { method: string; body?: unknown })
    .filter((r) => r.method === 'POST')
    .map((r) => r.body as Body);
}

function read(body: unknown): ClaudeRequest {
  const req = readClaudeRequest(body);
  if (isRequestError(req)) throw new Error(req.message);
  return req;
}

const HEADER = '[orchestrate role=implementer mode=work kind=implement task=t1]';

/** A recorded first request whose prompt carries the orchestrator header. */
function headed(extraTools: string[] = [], scenario = 'tool'): Body {
  const body = structuredClone(recorded(scenario)[0] as Body);
  const first = body.messages[0] as { content: { type: string; text?: string }[] };
  const prompt = first.content.find((b) => b.type === 'text' && !b.text?.startsWith('<system-reminder>'));
  if (prompt) prompt.text = `${HEADER}\n${prompt.text ?? ''}`;
  body.tools = [...(body.tools ?? []), ...extraTools.map((name) => ({ name, description: 'x', input_schema: { type: 'object' } }))];
  return body;
}

describe('reading Claude Code requests', () => {
  it('finds prompt, cwd, tools and action turns in the recorded tool run', () => {
    const [first, second] = recorded('tool').map(read);
    expect(first).toMatchObject({ conversation: { cli: 'claude', prompt: 'Create out.txt containing hello', actionTurns: 0 }, cwd: '/tmp/agent-rec/claude/tool/ws', stream: true, model: 'claude-opus-4-8' });
    expect(first?.tools).toContain('Bash');
    expect(first?.tools).not.toContain('StructuredOutput');
    expect(second?.conversation).toEqual({ cli: 'claude', prompt: 'Create out.txt containing hello', actionTurns: 1 });
    expect(first?.inputTokens).toBeGreaterThan(0);
  });

  it('counts one action turn per model answer (multi: two Bash calls)', () => {
    expect(recorded('multi').map((b) => read(b).conversation.actionTurns)).toEqual([0, 1, 2]);
  });

  it('takes the latest user prompt of a resumed conversation (string content too) and counts only after it', () => {
    const [first, second] = recorded('resume-2').map(read);
    expect(first?.conversation).toEqual({ cli: 'claude', prompt: 'Second turn', actionTurns: 0 });
    expect(second?.conversation).toEqual({ cli: 'claude', prompt: 'Second turn', actionTurns: 1 });
  });

  it('prefers the message with the orchestrator header over later user text', () => {
    const body = structuredClone(recorded('multi')[2] as Body);
    const first = body.messages[0] as { content: { type: string; text?: string }[] };
    const prompt = first.content[1] as { text: string };
    prompt.text = `${HEADER}\nDo two steps`;
    body.messages.push({ role: 'assistant', content: [{ type: 'text', text: '' }] });
    body.messages.push({ role: 'user', content: [{ type: 'text', text: '[Your previous response had no visible output. Please continue.]' }] });
    expect(read(body).conversation).toEqual({ cli: 'claude', prompt: `${HEADER}\nDo two steps`, actionTurns: 2 });
  });

  it('sees StructuredOutput in a --json-schema run, and does not count its call as an action', () => {
    const body = structuredClone(recorded('schema')[0] as Body);
    expect(read(body).tools).toContain('StructuredOutput');
    body.messages.push({ role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_x', name: 'StructuredOutput', input: {} }] });
    body.messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_x', content: 'Structured output provided successfully' }] });
    expect(read(body)).toMatchObject({ conversation: { actionTurns: 0 }, afterStructured: true });
  });

  it('refuses bodies that are not Messages API requests, with a clear message', () => {
    for (const bad of [undefined, 42, {}, { messages: 'hi' }, { messages: [{ role: 'user' }] }]) {
      const req = readClaudeRequest(bad);
      expect(isRequestError(req)).toBe(true);
      if (isRequestError(req)) expect(req.message).toMatch(/not a Messages API request/);
    }
  });

  it('names orchestrator tools the way Claude offers MCP tools', () => {
    expect(mcpToolName(['Bash', 'mcp__orchestrate__report_milestone'], 'report_milestone')).toBe('mcp__orchestrate__report_milestone');
    expect(mcpToolName(['mcp__other__report_blocker'], 'report_blocker')).toBe('mcp__other__report_blocker');
    expect(mcpToolName(['Bash'], 'report_blocker')).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// Through the real server: SSE parsed back into the message the CLI would assemble.

type SseEvent = { event: string; data: Record<string, unknown> };
type Block = { type: string; text?: string; id?: string; name?: string; input?: unknown };
interface Assembled {
  events: SseEvent[];
  blocks: Block[];
  stopReason: unknown;
  usage: { input: number; output: number };
}

function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((chunk) => chunk.trim() !== '')
    .map((chunk) => {
      const event = /^event: (.*)$/m.exec(chunk)?.[1] ?? '';
      const data = JSON.parse(/^data: (.*)$/m.exec(chunk)?.[1] ?? 'null') as Record<string, unknown>;
      expect(data.type).toBe(event);
      return { event, data };
    });
}

function assemble(events: SseEvent[]): Assembled {
  const blocks: Block[] = [];
  const json: string[] = [];
  let stopReason: unknown;
  let input = 0;
  let output = 0;
  for (const { event, data } of events) {
    const index = data.index as number;
    if (event === 'message_start') input = ((data.message as { usage: { input_tokens: number } }).usage.input_tokens);
    if (event === 'content_block_start') {
      blocks[index] = { ...(data.content_block as Block) };
      json[index] = '';
    }
    if (event === 'content_block_delta') {
      const delta = data.delta as { type: string; text?: string; partial_json?: string };
      const block = blocks[index] as Block;
      if (delta.type === 'text_delta') block.text = `${block.text ?? ''}${delta.text ?? ''}`;
      else json[index] = `${json[index] ?? ''}${delta.partial_json ?? ''}`;
    }
    if (event === 'content_block_stop' && blocks[index]?.type === 'tool_use') blocks[index].input = JSON.parse(json[index] ?? '{}');
    if (event === 'message_delta') {
      stopReason = (data.delta as { stop_reason: unknown }).stop_reason;
      output = (data.usage as { output_tokens: number }).output_tokens;
    }
  }
  expect(events[0]?.event).toBe('message_start');
  expect(events.at(-1)?.event).toBe('message_stop');
  return { events, blocks, stopReason, usage: { input, output } };
}

let provider: MockProvider | undefined;
afterEach(async () => {
  await provider?.close();
  provider = undefined;
});

async function serve(rules: unknown[]): Promise<MockProvider> {
  provider = await startMockProvider({ script: MockScript.parse({ rules }), dialects: DIALECTS });
  return provider;
}

const post = (p: MockProvider, body: unknown, path = '/v1/messages?beta=true'): Promise<Response> =>
  fetch(`${p.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'k' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

async function stream(rules: unknown[], body: unknown = headed()): Promise<Assembled> {
  const res = await post(await serve(rules), body);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  return assemble(parseSse(await res.text()));
}

const CWD = '/tmp/agent-rec/claude/tool/ws';

describe('rendering steps as Messages API streams', () => {
  it('final text, with usage numbers', async () => {
    const out = await stream([{ respond: { text: 'hello there' } }]);
    expect(out.blocks).toEqual([{ type: 'text', text: 'hello there' }]);
    expect(out.stopReason).toBe('end_turn');
    expect(out.usage.input).toBeGreaterThan(0);
    expect(out.usage.output).toBeGreaterThan(0);
  });

  it('an empty final still says something (an empty answer makes Claude Code ask again)', async () => {
    expect((await stream([{ respond: {} }])).blocks).toEqual([{ type: 'text', text: DEFAULT_FINAL_TEXT }]);
  });

  it('shell → Bash tool_use with a mock id', async () => {
    const out = await stream([{ respond: { actions: [{ shell: 'echo hi > a.txt' }] } }]);
    expect(out.stopReason).toBe('tool_use');
    expect(out.blocks).toEqual([{ type: 'tool_use', id: expect.stringMatching(/^toolu_mock_0_/) as unknown, name: 'Bash', input: { command: 'echo hi > a.txt', description: 'mock: run a shell command' } }]);
  });

  it('write → Write with the path made absolute against the cwd from the system prompt', async () => {
    const out = await stream([{ respond: { actions: [{ write: { path: 'src/a.ts', content: 'x\n' } }] } }]);
    expect(out.blocks[0]).toMatchObject({ name: 'Write', input: { file_path: `${CWD}/src/a.ts`, content: 'x\n' } });
  });

  it('write without a known cwd → a Bash command that writes the exact bytes', async () => {
    const body = headed();
    body.system = 'no environment here';
    const out = await stream([{ respond: { actions: [{ write: { path: "it's/a.txt", content: 'x\n' } }] } }], body);
    const command = (out.blocks[0]?.input as { command: string }).command;
    expect(out.blocks[0]?.name).toBe('Bash');
    expect(command).toBe(`mkdir -p -- 'it'\\''s' && printf %s eAo= | base64 -d > 'it'\\''s/a.txt'`);
  });

  it('report → the offered mcp__orchestrate__ tool; not offered → text saying so', async () => {
    const rules = [{ respond: { actions: [{ report: { tool: 'report_milestone', arguments: { text: 'done' } } }] } }];
    const offered = await stream(rules, headed(['mcp__orchestrate__report_milestone']));
    expect(offered.blocks[0]).toMatchObject({ type: 'tool_use', name: 'mcp__orchestrate__report_milestone', input: { text: 'done' } });
    await provider?.close();
    const missing = await stream(rules);
    expect(missing.stopReason).toBe('end_turn');
    expect(missing.blocks[0]?.text).toMatch(/report_milestone is not offered/);
  });

  it('report while the MCP server is still connecting → WaitForMcpServers once (not an action), then the tool or text', async () => {
    const rules = [{ respond: { actions: [{ report: { tool: 'report_progress', arguments: { text: 'half', progress: 50 } } }] } }];
    const body = headed(['WaitForMcpServers']);
    const wait = await stream(rules, body);
    expect(wait.blocks[0]).toMatchObject({ name: 'WaitForMcpServers', input: { servers: ['orchestrate'] } });
    body.messages.push({ role: 'assistant', content: wait.blocks });
    body.messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: wait.blocks[0]?.id, content: '{"ready":true}' }] });
    const connected = structuredClone(body);
    connected.tools = [...(connected.tools ?? []), { name: 'mcp__orchestrate__report_progress' }];
    const p = provider as MockProvider;
    const after = assemble(parseSse(await (await post(p, connected)).text()));
    expect(after.blocks[0]).toMatchObject({ name: 'mcp__orchestrate__report_progress', input: { text: 'half', progress: 50 } });
    const stillMissing = assemble(parseSse(await (await post(p, body)).text()));
    expect(stillMissing.blocks[0]?.text).toMatch(/report_progress is not offered/);
    expect(p.engine.calls.map((c) => c.actionTurns)).toEqual([0, 0, 0]);
  });

  it('todos → TaskCreate per item (Claude 2.1 has no TodoWrite), TodoWrite where offered', async () => {
    const rules = [{ respond: { actions: [{ todos: [{ text: 'a', status: 'pending' }, { text: 'b', status: 'in_progress' }] }] } }];
    const tasks = await stream(rules);
    expect(tasks.blocks.map((b) => [b.name, (b.input as { subject: string }).subject])).toEqual([
      ['TaskCreate', 'a'],
      ['TaskCreate', 'b'],
    ]);
    await provider?.close();
    const todo = await stream(rules, headed(['TodoWrite']));
    expect(todo.blocks[0]).toMatchObject({ name: 'TodoWrite', input: { todos: [{ content: 'a', status: 'pending' }, { content: 'b', status: 'in_progress' }] } });
  });

  it('fail → a real failing Bash call or a Write outside the workspace', async () => {
    const denied = await stream([{ respond: { actions: [{ fail: { kind: 'permission_denied' } }] } }]);
    expect((denied.blocks[0]?.input as { command: string }).command).toMatch(/chmod 644 \.\/noexec\.sh; }; } && \.\/noexec\.sh$/);
    await provider?.close();
    const outside = await stream([{ respond: { actions: [{ fail: { kind: 'path_outside_workspace' } }] } }]);
    expect(outside.blocks[0]).toMatchObject({ name: 'Write', input: { file_path: DEFAULT_OUTSIDE } });
  });

  it('structured with StructuredOutput offered: the text first, then the tool call; its follow-up gets a short text', async () => {
    const rules = [{ respond: { text: 'verdict:', structured: { verdict: 'approved' } } }];
    const body = headed(['StructuredOutput']);
    const out = await stream(rules, body);
    expect(out.blocks.map((b) => [b.type, b.name ?? b.text])).toEqual([
      ['text', 'verdict:'],
      ['tool_use', 'StructuredOutput'],
    ]);
    expect(out.blocks[1]?.input).toEqual({ verdict: 'approved' });
    expect(out.stopReason).toBe('tool_use');
    body.messages.push({ role: 'assistant', content: out.blocks });
    body.messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: out.blocks[1]?.id, content: 'Structured output provided successfully' }] });
    const res = await post(provider as MockProvider, body);
    expect(assemble(parseSse(await res.text())).blocks).toEqual([{ type: 'text', text: AFTER_STRUCTURED_TEXT }]);
  });

  it('structured without the tool: the JSON is the (last) text', async () => {
    const out = await stream([{ respond: { text: 'verdict:', structured: { verdict: 'approved' } } }]);
    expect(out.blocks).toEqual([
      { type: 'text', text: 'verdict:' },
      { type: 'text', text: '{"verdict":"approved"}' },
    ]);
  });

  it('honours delayMs between chunks', async () => {
    const started = Date.now();
    const out = await stream([{ respond: { text: 'slow', delayMs: 30 } }]);
    // 6 events after message_start and ping: 2 block starts/deltas/stop, message_delta, message_stop.
    expect(Date.now() - started).toBeGreaterThanOrEqual(30 * (out.events.length - 2) - 10);
  });

  it('hang: starts the message and never finishes it, until the client goes away', async () => {
    const p = await serve([{ respond: { text: 'never', behavior: 'hang' } }]);
    const abort = new AbortController();
    const res = await fetch(`${p.url}/v1/messages`, { method: 'POST', body: JSON.stringify(headed()), signal: abort.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('event: message_start');
    const more = await Promise.race([reader.read().then(() => 'data'), new Promise((r) => setTimeout(() => r('silence'), 300))]);
    expect(more).toBe('silence');
    abort.abort();
    await expect(reader.read()).rejects.toThrow();
  });
});

describe('errors, odd requests and side calls', () => {
  it.each([
    [500, 'api_error'],
    [401, 'authentication_error'],
    [429, 'rate_limit_error'],
    [529, 'overloaded_error'],
  ])('scripted HTTP %i → the Messages API error body (%s)', async (status, type) => {
    const p = await serve([{ respond: { error: { status, message: 'boom (mock)' } } }]);
    const res = await post(p, headed());
    expect(res.status).toBe(status);
    expect(res.headers.get('request-id')).toMatch(/^req_mock_/);
    expect(await res.json()).toEqual({ type: 'error', error: { type, message: 'boom (mock)' }, request_id: expect.stringMatching(/^req_mock_/) as unknown });
  });

  it('a body that is not a Messages request → 400 invalid_request_error, and the engine is not asked', async () => {
    const p = await serve([{ respond: { text: 'x' } }]);
    const res = await post(p, { model: 'm', messages: 'nope' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe('error');
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(/not a Messages API request \(messages: /);
    expect(p.engine.calls).toHaveLength(0);
  });

  it('a body that is not JSON → 400 in the same shape (from the server)', async () => {
    const res = await post(await serve([]), '{not json');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
  });

  it('without stream: true the whole message comes back as JSON', async () => {
    const p = await serve([{ respond: { actions: [{ shell: 'ls' }] } }]);
    const body = { ...headed(), stream: false };
    const res = await post(p, body);
    const message = (await res.json()) as { type: string; content: Block[]; stop_reason: string; usage: { input_tokens: number; output_tokens: number } };
    expect(message).toMatchObject({ type: 'message', role: 'assistant', stop_reason: 'tool_use', content: [{ type: 'tool_use', name: 'Bash', input: { command: 'ls' } }] });
    expect(message.usage.output_tokens).toBeGreaterThan(0);
  });

  it('helper calls without tools or environment are answered without using up rules', async () => {
    const p = await serve([{ times: 1, respond: { text: 'the real answer' } }]);
    const side = await post(p, { model: 'claude-haiku', max_tokens: 50, messages: [{ role: 'user', content: 'Write a title for: Create out.txt' }], stream: true });
    expect(assemble(parseSse(await side.text())).blocks).toEqual([{ type: 'text', text: SIDE_ANSWER }]);
    expect(p.engine.calls).toHaveLength(0);
    const main = await post(p, headed());
    expect(assemble(parseSse(await main.text())).blocks[0]?.text).toBe('the real answer');
  });

  it('count_tokens answers an estimate', async () => {
    const res = await post(await serve([]), headed(), '/v1/messages/count_tokens');
    expect(((await res.json()) as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
  });

  it('a multi-turn conversation walks the script through the history the client sends back', async () => {
    const p = await serve([{ respond: { actions: [{ shell: 'echo 1' }, { write: { path: 'b.txt', content: 'b' } }], text: 'all done' } }]);
    const body = headed();
    const names: string[] = [];
    for (;;) {
      const out = assemble(parseSse(await (await post(p, body)).text()));
      body.messages.push({ role: 'assistant', content: out.blocks });
      if (out.stopReason !== 'tool_use') break;
      names.push(...out.blocks.map((b) => b.name ?? ''));
      body.messages.push({ role: 'user', content: out.blocks.map((b) => ({ type: 'tool_result', tool_use_id: b.id, content: 'ok' })) });
    }
    expect(names).toEqual(['Bash', 'Write']);
    expect(p.engine.calls.map((c) => [c.actionTurns, c.step])).toEqual([
      [0, 'action'],
      [1, 'action'],
      [2, 'final'],
    ]);
  });
});
