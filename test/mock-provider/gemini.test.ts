import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../src/mock-provider/dialects.js';
import { MockEngine } from '../../src/mock-provider/engine.js';
import { geminiDialect, planTurn } from '../../src/mock-provider/gemini.js';
import { conversationOf, isSideCall, modelPath, offeredTools, readRequest, workingDirectory, type GenerateContentRequest } from '../../src/mock-provider/gemini-request.js';
import { finalText, reportToolName } from '../../src/mock-provider/gemini-render.js';
import { sideAnswerText } from '../../src/mock-provider/gemini-side.js';
import { MockScript } from '../../src/mock-provider/script.js';
import { startMockProvider, type MockProvider } from '../../src/mock-provider/server.js';
import { parseAnswer } from '../../src/machines/plan.js';
import { ReviewAnswer } from '../../src/protocol/index.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'requests', 'gemini');

/** Real request bodies Gemini CLI 0.61 sent (copied from the recorded runs). */
function recorded(name: string): { path: string; body: unknown }[] {
  return readFileSync(join(FIXTURES, `${name}.requests.jsonl`), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { path: string; body: unknown });
}

function request(body: unknown): GenerateContentRequest {
  const r = readRequest(body);
  if (!r.ok) throw new Error(r.message);
  return r.request;
}

const script = (rules: unknown[]): MockScript => MockScript.parse({ rules });

const HEADER = '[orchestrate role=implementer mode=work kind=implement task=t1] Do it';
const userTurn = (text: string) => ({ role: 'user', parts: [{ text: '<session_context>\n- **Workspace Directories:**\n  - /w/ws\n</session_context>' }, { text }] });
const callTurn = (name: string) => ({ role: 'model', parts: [{ functionCall: { name, args: {} } }] });
const resultTurn = (name: string) => ({ role: 'user', parts: [{ functionResponse: { name, response: { output: 'ok' } } }] });
const TOOLS = [{ functionDeclarations: ['run_shell_command', 'write_file', 'mcp_orchestrate_report_milestone'].map((name) => ({ name })) }];
const body = (...contents: unknown[]) => ({ contents, tools: TOOLS });

describe('reading recorded Gemini CLI requests', () => {
  it('the router call is a side call; the conversation requests are not', () => {
    const [router, first, second] = recorded('tool');
    expect(modelPath(router?.path ?? '')).toEqual({ model: 'gemini-3.5-flash-lite', method: 'generateContent' });
    expect(isSideCall(request(router?.body))).toBe(true);
    expect(isSideCall(request(first?.body))).toBe(false);
    expect(offeredTools(request(first?.body))).toContain('run_shell_command');
    expect(conversationOf(request(first?.body))).toEqual({ cli: 'gemini', prompt: 'Create out.txt containing hello', actionTurns: 0 });
    expect(conversationOf(request(second?.body))).toEqual({ cli: 'gemini', prompt: 'Create out.txt containing hello', actionTurns: 1 });
    expect(workingDirectory(request(first?.body))).toBe('/tmp/agent-rec/gemini/tool/ws');
  });

  it('counts each model turn with a tool call (multi: 0, 1, 2)', () => {
    const main = recorded('multi').filter((r) => r.path.endsWith(':streamGenerateContent'));
    expect(main.map((r) => conversationOf(request(r.body)).actionTurns)).toEqual([0, 1, 2]);
    expect(main.map((r) => conversationOf(request(r.body)).prompt)).toEqual(['Do two steps', 'Do two steps', 'Do two steps']);
  });

  it('a resumed conversation: the prompt is the new turn, earlier model turns before it do not count', () => {
    const main = recorded('resume-2').filter((r) => r.path.endsWith(':streamGenerateContent'));
    expect(main.map((r) => conversationOf(request(r.body)))).toEqual([
      { cli: 'gemini', prompt: 'Second turn', actionTurns: 0 },
      { cli: 'gemini', prompt: 'Second turn', actionTurns: 1 },
    ]);
  });

  it('prefers the latest user message with the orchestrator header over later user text', () => {
    const c = conversationOf(request(body(userTurn(HEADER), callTurn('run_shell_command'), resultTurn('run_shell_command'), { role: 'user', parts: [{ text: 'continue' }] })));
    expect(c).toEqual({ cli: 'gemini', prompt: HEADER, actionTurns: 1 });
  });

  it('the router classification fits its schema with a score of at least 1', () => {
    const [router] = recorded('tool');
    const answer = JSON.parse(sideAnswerText(request(router?.body))) as Record<string, unknown>;
    expect(answer.complexity_score).toBeGreaterThanOrEqual(1);
    expect(typeof answer.complexity_reasoning).toBe('string');
  });
});

describe('rendering steps', () => {
  const turnOf = (rules: unknown[], b: unknown) => planTurn(new MockEngine(script(rules)), request(b));

  it('shell, write (absolute from the workspace dir), report (the offered MCP name)', () => {
    const rules = [{ respond: { actions: [{ shell: 'ls' }, { write: { path: 'a/b.txt', content: 'x' } }, { report: { tool: 'report_milestone', arguments: { text: 'hi' } } }] } }];
    expect(turnOf(rules, body(userTurn(HEADER)))).toEqual({ kind: 'chunks', delayMs: 0, chunks: [[{ functionCall: { name: 'run_shell_command', args: { command: 'ls', description: 'mock: run a shell command' } } }]] });
    const afterOne = body(userTurn(HEADER), callTurn('run_shell_command'), resultTurn('run_shell_command'));
    expect(turnOf(rules, afterOne)).toMatchObject({ chunks: [[{ functionCall: { name: 'write_file', args: { file_path: '/w/ws/a/b.txt', content: 'x' } } }]] });
    const afterTwo = body(userTurn(HEADER), callTurn('run_shell_command'), resultTurn('run_shell_command'), callTurn('write_file'), resultTurn('write_file'));
    expect(turnOf(rules, afterTwo)).toMatchObject({ chunks: [[{ functionCall: { name: 'mcp_orchestrate_report_milestone', args: { text: 'hi' } } }]] });
  });

  it('a step without a tool becomes marked text in the same turn as the next step, and the count stays right', () => {
    const rules = [{ respond: { actions: [{ todos: [{ text: 'a', status: 'pending' }] }, { report: { tool: 'report_blocker', arguments: {} } }, { shell: 'ls' }], text: 'end' } }];
    const engine = new MockEngine(script(rules));
    const first = planTurn(engine, request(body(userTurn(HEADER))));
    if (first.kind !== 'chunks') throw new Error('expected chunks');
    expect(first.chunks).toHaveLength(3);
    expect(JSON.stringify(first.chunks[0])).toContain('[mock todos]');
    expect(JSON.stringify(first.chunks[1])).toContain('[mock skipped]');
    expect(first.chunks[2]).toEqual([{ functionCall: { name: 'run_shell_command', args: { command: 'ls', description: 'mock: run a shell command' } } }]);
    const modelTurn = { role: 'model', parts: first.chunks.flat() };
    const next = request(body(userTurn(HEADER), modelTurn, resultTurn('run_shell_command')));
    expect(conversationOf(next).actionTurns).toBe(3);
    expect(planTurn(engine, next)).toMatchObject({ kind: 'chunks', chunks: [[{ text: 'end' }]] });
  });

  it('fail kinds: a shell run of a non-executable file, a read outside, a write outside', () => {
    const rules = [
      {
        respond: {
          actions: [{ fail: { kind: 'permission_denied' } }, { fail: { kind: 'path_outside_workspace' } }, { fail: { kind: 'path_outside_workspace', content: 'x' } }],
        },
      },
    ];
    const first = turnOf(rules, body(userTurn(HEADER)));
    expect(JSON.stringify(first)).toContain('./noexec.sh; rc=$?');
    const second = turnOf(rules, body(userTurn(HEADER), callTurn('run_shell_command'), resultTurn('run_shell_command')));
    // Without content a read: plan mode may not write at all, but reads meet the same workspace check.
    expect(second).toMatchObject({ chunks: [[{ functionCall: { name: 'read_file', args: { file_path: '/var/tmp/orchestrate-outside/outside.txt' } } }]] });
    const third = turnOf(rules, body(userTurn(HEADER), callTurn('run_shell_command'), resultTurn('run_shell_command'), callTurn('read_file'), resultTurn('read_file')));
    expect(third).toMatchObject({ chunks: [[{ functionCall: { name: 'write_file', args: { content: 'x' } } }]] });
  });

  it('final text, structured, both (parseable), error and hang', () => {
    expect(finalText({ kind: 'final', structured: { a: 1 }, delayMs: 0, hang: false })).toBe('{"a":1}');
    const verdict = { verdict: 'approved', summary: 'ok', findings: [] };
    for (const text of ['Reviewed.', 'Reviewed {braces} here.']) {
      const both = finalText({ kind: 'final', text, structured: verdict, delayMs: 0, hang: false });
      expect(both.startsWith(text)).toBe(true);
      expect(parseAnswer(ReviewAnswer, undefined, both)).toEqual({ ok: true, value: verdict });
    }
    expect(turnOf([{ respond: { error: { status: 429 } } }], body(userTurn(HEADER)))).toMatchObject({ kind: 'error', status: 429 });
    expect(turnOf([{ respond: { behavior: 'hang' } }], body(userTurn(HEADER)))).toEqual({ kind: 'hang' });
  });

  it('report tool names: the orchestrate server first, an override only if offered', () => {
    expect(reportToolName('report_milestone', ['mcp_other_report_milestone', 'mcp_orchestrate_report_milestone'])).toBe('mcp_orchestrate_report_milestone');
    expect(reportToolName('report_milestone', ['report_milestone'])).toBe('report_milestone');
    expect(reportToolName('report_milestone', ['x'], 'orchestrate__report_milestone')).toBeUndefined();
  });

  it('error bodies have the Google shape', () => {
    expect(geminiDialect.errorBody(500, 'boom')).toEqual({ error: { code: 500, message: 'boom', status: 'INTERNAL' } });
    expect(geminiDialect.errorBody(401, 'no')).toEqual({ error: { code: 401, message: 'no', status: 'UNAUTHENTICATED' } });
  });
});

interface Chunk {
  candidates: { content: { role: string; parts: Record<string, unknown>[] }; finishReason?: string }[];
  usageMetadata: { promptTokenCount: number; candidatesTokenCount: number };
}

function parseSse(text: string): Chunk[] {
  return text
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => JSON.parse(e.slice('data: '.length)) as Chunk);
}

describe('over HTTP', () => {
  let provider: MockProvider | undefined;
  afterEach(async () => {
    await provider?.close();
    provider = undefined;
  });

  const post = async (path: string, b: unknown): Promise<Response> => {
    if (!provider) throw new Error('no provider');
    return fetch(`${provider.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof b === 'string' ? b : JSON.stringify(b) });
  };
  const STREAM = '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse';

  it('streams a tool call, then the final text in chunks with usage and STOP', async () => {
    provider = await startMockProvider({ script: script([{ respond: { actions: [{ shell: 'ls' }], text: 'A final answer that is long enough to be split into two chunks.', delayMs: 5 } }]), dialects: DIALECTS });
    const first = await post(STREAM, body(userTurn(HEADER)));
    expect(first.headers.get('content-type')).toBe('text/event-stream');
    const call = parseSse(await first.text());
    expect(call).toHaveLength(1);
    expect(call[0]?.candidates[0]?.content.parts).toEqual([{ functionCall: { name: 'run_shell_command', args: { command: 'ls', description: 'mock: run a shell command' } } }]);
    expect(call[0]?.candidates[0]?.finishReason).toBe('STOP');
    const final = parseSse(await (await post(STREAM, body(userTurn(HEADER), callTurn('run_shell_command'), resultTurn('run_shell_command')))).text());
    expect(final.length).toBeGreaterThan(1);
    expect(final.map((c) => c.candidates[0]?.content.parts[0]?.text).join('')).toBe('A final answer that is long enough to be split into two chunks.');
    expect(final.at(-1)?.candidates[0]?.finishReason).toBe('STOP');
    expect(final.at(-1)?.usageMetadata.promptTokenCount).toBeGreaterThan(0);
    expect(final.at(-1)?.usageMetadata.candidatesTokenCount).toBeGreaterThan(0);
  });

  it('answers the recorded router call and countTokens without touching the script', async () => {
    provider = await startMockProvider({ script: script([{ times: 1, respond: { text: 'x' } }]), dialects: DIALECTS });
    const [router] = recorded('tool');
    const res = await post(router?.path ?? '', router?.body);
    const json = (await res.json()) as Chunk;
    const text = String(json.candidates[0]?.content.parts[0]?.text);
    expect((JSON.parse(text) as { complexity_score: number }).complexity_score).toBeGreaterThanOrEqual(1);
    const count = (await (await post('/v1beta/models/gemini-2.5-flash:countTokens', { contents: [userTurn('hi')] })).json()) as { totalTokens: number };
    expect(count.totalTokens).toBeGreaterThan(0);
    expect(provider.engine.calls).toHaveLength(0);
  });

  it('non-streaming generateContent of a conversation answers one merged response', async () => {
    provider = await startMockProvider({ script: script([{ respond: { text: 'hello' } }]), dialects: DIALECTS });
    const json = (await (await post('/v1beta/models/gemini-2.5-flash:generateContent', body(userTurn(HEADER)))).json()) as Chunk;
    expect(json.candidates[0]?.content.parts).toEqual([{ text: 'hello' }]);
  });

  it('scripted errors, malformed bodies and unknown methods get Google error bodies', async () => {
    provider = await startMockProvider({ script: script([{ respond: { error: { status: 503, message: 'overloaded' } } }]), dialects: DIALECTS });
    const err = await post(STREAM, body(userTurn(HEADER)));
    expect(err.status).toBe(503);
    expect(await err.json()).toEqual({ error: { code: 503, message: 'overloaded', status: 'UNAVAILABLE' } });
    const bad = await post(STREAM, { contents: 'not a list' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string; status: string } }).error).toMatchObject({ status: 'INVALID_ARGUMENT', message: expect.stringContaining('contents') as unknown });
    const notJson = await post(STREAM, '{oops');
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: { code: number } }).error.code).toBe(400);
    const unknown = await post('/v1beta/models/m:embedContent', { content: {} });
    expect(unknown.status).toBe(404);
  });

  it('hang: headers, no chunk, and the request ends when the client goes away', async () => {
    provider = await startMockProvider({ script: script([{ respond: { behavior: 'hang' } }]), dialects: DIALECTS });
    const controller = new AbortController();
    const res = await fetch(`${provider.url}${STREAM}`, { method: 'POST', body: JSON.stringify(body(userTurn(HEADER))), signal: controller.signal });
    expect(res.status).toBe(200);
    const reader = res.body?.getReader();
    const read = reader?.read();
    const raced = await Promise.race([read, new Promise((r) => setTimeout(() => r('pending'), 200))]);
    expect(raced).toBe('pending');
    controller.abort();
    await expect(read).rejects.toThrow();
    // The server-side handler finished: closing does not wait for it.
    await provider.close();
    provider = undefined;
  });
});
