import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { orchestratorToolEvent } from '../../src/agents/common/orchestrator-tools.js';
import { reportingMcpServer } from '../../src/reporting/launch.js';

const root = join(import.meta.dirname, '..', '..');
// The server runs as a real child over stdio; only the built JS can run without a TS loader.
const entry = join(root, 'dist', 'reporting', 'stdio-entry.js');
const TOOLS = ['report_blocker', 'report_finding', 'report_milestone', 'report_progress', 'request_review'];

let dir: string;
const clients: Client[] = [];

async function connect(env: Record<string, string>): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [entry],
    env: { PATH: process.env.PATH ?? '', ...env },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'reporting-test', version: '0.0.0' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
}

function readLog(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('reporting MCP server over stdio (built)', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'orchestrate-mcp-'));
  }, 120_000);

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the five tools with input schemas that use the names orchestratorToolEvent reads', async () => {
    const client = await connect({});
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const tool of tools) {
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.inputSchema.required).toContain('text');
      expect(tool.annotations?.readOnlyHint).toBe(true);
    }
    expect(byName.get('report_progress')?.inputSchema).toMatchObject({
      required: expect.arrayContaining(['text', 'progress']) as unknown,
      properties: { progress: { type: 'number', minimum: 0, maximum: 100 }, file: { type: 'string' } },
    });
    expect(byName.get('report_finding')?.inputSchema).toMatchObject({
      required: expect.arrayContaining(['text', 'severity']) as unknown,
      properties: { severity: { enum: ['info', 'minor', 'major', 'critical'] } },
    });
    expect(byName.get('request_review')?.inputSchema.required).toEqual(['text']);
  });

  it('acknowledges every tool and appends one JSON line per call to the report log', async () => {
    const log = join(dir, 'nested', 'reports.jsonl');
    const client = await connect({
      ORCHESTRATE_SESSION_ID: 'sess-1',
      ORCHESTRATE_WORKER_ID: 'worker-a',
      ORCHESTRATE_REPORT_LOG: log,
    });
    const calls: [string, Record<string, unknown>, RegExp][] = [
      ['report_progress', { text: 'parser done, lexer next', progress: 40 }, /progress recorded \(40%\)/],
      ['report_milestone', { text: 'login works', file: 'src/login.ts' }, /milestone recorded; the orchestrator will schedule a review/],
      ['report_blocker', { text: 'need the API key' }, /blocker recorded/],
      ['report_finding', { text: 'race in cache', severity: 'major', file: 'src/cache.ts' }, /finding recorded \(major\)/],
      ['request_review', { text: 'unsure about the schema' }, /review requested/],
    ];
    for (const [name, args, ack] of calls) {
      const result = await call(client, name, args);
      expect(result.isError).toBeFalsy();
      expect(textOf(result)).toMatch(ack);
      // The same arguments, seen in an agent's stream, become the matching event.
      expect(orchestratorToolEvent(`mcp__orchestrate__${name}`, args)?.payload).toMatchObject({ text: args.text, tool: name });
    }
    const lines = readLog(log);
    expect(lines).toHaveLength(calls.length);
    lines.forEach((line, i) => {
      const [name, args] = calls[i] ?? ['', {}];
      expect(line).toEqual({ tool: name, arguments: args, sessionId: 'sess-1', workerId: 'worker-a', timestamp: expect.any(String) as unknown });
      expect(Number.isNaN(Date.parse(String(line.timestamp)))).toBe(false);
    });
  });

  it('answers bad input with an error result naming the problem, and keeps serving', async () => {
    const log = join(dir, 'bad.jsonl');
    const client = await connect({ ORCHESTRATE_REPORT_LOG: log });
    const missing = await call(client, 'report_milestone', { summary: 'wrong name' });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toMatch(/report_milestone/);
    expect(textOf(missing)).toMatch(/text is required/);

    const tooFar = await call(client, 'report_progress', { text: 'almost', progress: 150 });
    expect(tooFar.isError).toBe(true);
    expect(textOf(tooFar)).toMatch(/progress must be a percentage from 0 to 100/);

    const blank = await call(client, 'request_review', { text: '   ' });
    expect(textOf(blank)).toMatch(/text must not be blank/);

    const severity = await call(client, 'report_finding', { text: 'x', severity: 'urgent' });
    expect(textOf(severity)).toMatch(/severity must be one of info, minor, major, critical/);

    // Still alive, and rejected calls were never logged.
    const ok = await call(client, 'report_progress', { text: 'fine', progress: 0 });
    expect(ok.isError).toBeFalsy();
    expect(readLog(log).map((l) => l.tool)).toEqual(['report_progress']);
  });

  it('reports a log write failure as an error result instead of dying', async () => {
    // A path under a regular file fails even as root (which ignores permission bits).
    const plain = join(dir, 'plain-file');
    writeFileSync(plain, '');
    const log = join(plain, 'reports.jsonl');
    const client = await connect({ ORCHESTRATE_REPORT_LOG: log });
    const result = await call(client, 'report_blocker', { text: 'stuck' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/report_blocker not recorded: cannot write the report log/);
    const again = await call(client, 'report_progress', { text: 'still here', progress: 5 });
    expect(again.isError).toBe(true);
  });

  it('exits cleanly when stdin closes and never writes anything but JSON-RPC to stdout', async () => {
    const child = spawn(process.execPath, [entry], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const init = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
    };
    child.stdin.end(`${JSON.stringify(init)}\n`);
    const timeout = setTimeout(() => child.kill('SIGKILL'), 5_000);
    const { code, signal } = await exited;
    clearTimeout(timeout);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    const messages = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ jsonrpc: '2.0', id: 1, result: { serverInfo: { name: 'orchestrate' } } });
  });
});

describe('reportingMcpServer', () => {
  it('launches the CLI entry with the running Node and passes identity in env', () => {
    expect(reportingMcpServer({ cliEntry: '/opt/o/dist/cli.js', sessionId: 's', workerId: 'w', reportLog: '/ws/s/reports.jsonl' })).toEqual({
      orchestrate: {
        command: process.execPath,
        args: ['/opt/o/dist/cli.js', 'mcp'],
        env: { ORCHESTRATE_SESSION_ID: 's', ORCHESTRATE_WORKER_ID: 'w', ORCHESTRATE_REPORT_LOG: '/ws/s/reports.jsonl' },
      },
    });
  });
});
