import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildCommand } from '../../src/agents/claude/command.js';
import type { LaunchRequest } from '../../src/agents/types.js';
import { DIALECTS } from '../../src/mock-provider/dialects.js';
import { MockScript } from '../../src/mock-provider/script.js';
import { startMockProvider, type MockProvider } from '../../src/mock-provider/server.js';
import { header, verdictSchema } from '../../src/prompts/index.js';
import { reportingMcpServer } from '../../src/reporting/launch.js';
import { assertLoopbackOnly, runRealCli, tempDir, throwawayHome, type CliRun } from './helpers.js';

/**
 * The real Claude Code against the mock provider, launched with the orchestrator's own argv
 * (buildCommand). scripts/e2e.sh runs this inside a loopback-only network namespace.
 */
const root = resolve(import.meta.dirname, '..', '..');
const cliEntry = join(root, 'dist', 'bin', 'cli.js');

let provider: MockProvider | undefined;
afterEach(async () => {
  await provider?.close();
  provider = undefined;
});

beforeAll(() => {
  assertLoopbackOnly();
  if (!existsSync(cliEntry)) throw new Error('e2e: dist/bin/cli.js is missing; run `npm run build` first');
});

interface Launch {
  rules: unknown[];
  prompt: string;
  mode?: LaunchRequest['mode'];
  cwd?: string;
  home?: string;
  outputSchema?: Record<string, unknown>;
  reportLog?: string;
  guard?: boolean;
  resume?: string;
  sessionId?: string;
  env?: Record<string, string>;
  requestLog?: string;
  keepProvider?: MockProvider;
}

interface Outcome {
  run: CliRun;
  cwd: string;
  home: string;
  provider: MockProvider;
  ms: number;
}

async function launch(opts: Launch): Promise<Outcome> {
  const cwd = opts.cwd ?? tempDir('e2e-claude-ws-');
  const home = opts.home ?? throwawayHome('claude');
  const script = MockScript.parse({ rules: opts.rules });
  const dump = process.env.E2E_DUMP_DIR;
  const requestLog = opts.requestLog ?? (dump ? join(dump, `${Date.now()}-requests.jsonl`) : undefined);
  provider = opts.keepProvider ?? (await startMockProvider({ script, dialects: DIALECTS, ...(requestLog ? { requestLog } : {}) }));
  const request: LaunchRequest = {
    role: opts.mode === 'review' ? 'reviewer' : 'implementer',
    mode: opts.mode ?? 'work',
    prompt: opts.prompt,
    cwd,
    workspace: tempDir('e2e-claude-session-'),
    extraDirs: [],
    runningAsRoot: process.getuid?.() === 0,
    ...(opts.outputSchema ? { outputSchema: opts.outputSchema } : {}),
    ...(opts.reportLog ? { mcpServers: reportingMcpServer({ cliEntry, sessionId: 's-e2e', workerId: 'w-e2e', reportLog: opts.reportLog }) } : {}),
    ...(opts.guard ? { guard: { command: process.execPath, args: [cliEntry, 'guard', '--allow-root', cwd, '--confirm-as', 'deny'] } } : {}),
    ...(opts.resume ? { resumeSessionId: opts.resume } : {}),
    ...(opts.sessionId ? { presetSessionId: opts.sessionId } : {}),
  };
  const spec = buildCommand(request);
  const started = Date.now();
  const run = await runRealCli('claude', spec.args, { url: provider.url, cwd: spec.cwd, home, env: { ...spec.env, ...opts.env }, ...(spec.input !== undefined ? { input: spec.input } : {}) });
  // For debugging a failing case: the CLI's whole output, one file per launch.
  if (dump) writeFileSync(join(dump, `${Date.now()}-${opts.mode ?? 'work'}.txt`), `${JSON.stringify(spec.args)}\n${run.stdout}\n--- stderr\n${run.stderr}`);
  return { run, cwd, home, provider, ms: Date.now() - started };
}

const typed = (run: CliRun, type: string, subtype?: string): Record<string, unknown>[] =>
  run.lines.filter((l) => l.type === type && (subtype === undefined || l.subtype === subtype));

function result(run: CliRun): Record<string, unknown> {
  const r = typed(run, 'result').at(-1);
  if (!r) throw new Error(`no result line; exit ${String(run.exitCode)}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  return r;
}

type Content = { type: string; name?: string; input?: unknown; is_error?: boolean; content?: unknown; tool_use_id?: string };
const contentOf = (line: Record<string, unknown>): Content[] => ((line.message as { content?: Content[] } | undefined)?.content ?? []);
const toolUses = (run: CliRun): Content[] => typed(run, 'assistant').flatMap(contentOf).filter((c) => c.type === 'tool_use');
const toolResults = (run: CliRun): Content[] => typed(run, 'user').flatMap(contentOf).filter((c) => c.type === 'tool_result');
const resultText = (c: Content): string => (typeof c.content === 'string' ? c.content : JSON.stringify(c.content));

/**
 * Claude Code 2.1.197 silently drops the StructuredOutput tool when the schema names
 * `$schema: draft 2020-12`, which z.toJSONSchema writes; without that key the same schema works.
 */
function acceptedSchema(): Record<string, unknown> {
  const { $schema: _dropped, ...rest } = verdictSchema();
  return rest;
}

const work = (task: string, text: string): string => `${header('implementer', 'work', 'implement', task)}\n\n${text}`;

describe('Claude Code against the mock provider', () => {
  it('answers a plain text prompt and reports usage', async () => {
    const { run } = await launch({ rules: [{ match: { kind: 'implement' }, respond: { text: 'MOCK_TEXT: hello' } }], prompt: work('t1', 'Say hello') });
    const r = result(run);
    expect(run.exitCode).toBe(0);
    expect(r.is_error).toBe(false);
    expect(r.result).toBe('MOCK_TEXT: hello');
    const usage = r.usage as { input_tokens: number; output_tokens: number };
    expect(usage.input_tokens).toBeGreaterThan(0);
    expect(usage.output_tokens).toBeGreaterThan(0);
  });

  it('runs a scripted shell action that really creates a file', async () => {
    const { run, cwd, provider: p } = await launch({
      rules: [{ respond: { actions: [{ shell: 'echo made > made.txt && ls' }], text: 'MOCK: shell done' } }],
      prompt: work('t1', 'Create made.txt'),
    });
    expect(run.exitCode).toBe(0);
    expect(readFileSync(join(cwd, 'made.txt'), 'utf8')).toBe('made\n');
    expect(toolUses(run).map((t) => t.name)).toEqual(['Bash']);
    expect(toolResults(run)[0]?.is_error).toBe(false);
    expect(resultText(toolResults(run)[0] ?? { type: '' })).toContain('made.txt');
    expect(result(run).result).toBe('MOCK: shell done');
    expect(p.engine.calls.map((c) => [c.actionTurns, c.step])).toEqual([
      [0, 'action'],
      [1, 'final'],
    ]);
  });

  it('runs a scripted write action with Write (path relative to the cwd)', async () => {
    const { run, cwd } = await launch({
      rules: [{ respond: { actions: [{ write: { path: 'sub/w.txt', content: 'written\n' } }], text: 'MOCK: written' } }],
      prompt: work('t1', 'Write a file'),
    });
    expect(run.exitCode).toBe(0);
    expect(toolUses(run)[0]).toMatchObject({ name: 'Write', input: { file_path: join(cwd, 'sub/w.txt') } });
    expect(readFileSync(join(cwd, 'sub', 'w.txt'), 'utf8')).toBe('written\n');
  });

  it('calls the orchestrator reporting tool on the real `orchestrate mcp` server', async () => {
    const reportLog = join(tempDir('e2e-claude-reports-'), 'reports.jsonl');
    const { run } = await launch({
      rules: [{ respond: { actions: [{ report: { tool: 'report_milestone', arguments: { text: 'MOCK milestone reached' } } }], text: 'MOCK: reported' } }],
      prompt: work('t1', 'Report a milestone'),
      reportLog,
    });
    expect(run.exitCode).toBe(0);
    const init = typed(run, 'system', 'init')[0] as { mcp_servers?: { name: string; status: string }[] };
    // "connected" or still "pending" at init; a pending server makes the mock call WaitForMcpServers first.
    expect(init.mcp_servers?.map((m) => m.name)).toEqual(['orchestrate']);
    const reports = toolUses(run).filter((t) => t.name !== 'WaitForMcpServers');
    expect(reports).toEqual([expect.objectContaining({ name: 'mcp__orchestrate__report_milestone', input: { text: 'MOCK milestone reached' } })]);
    expect(toolResults(run).every((c) => c.is_error !== true)).toBe(true);
    const lines = readFileSync(reportLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ tool: 'report_milestone', arguments: { text: 'MOCK milestone reached' }, sessionId: 's-e2e', workerId: 'w-e2e' });
  });

  it('gives a structured answer through StructuredOutput (--json-schema)', async () => {
    const verdict = { verdict: 'approved', summary: 'MOCK looks good', findings: [] };
    const { run } = await launch({
      rules: [{ respond: { text: 'MOCK: my verdict follows.', structured: verdict } }],
      prompt: work('t1', 'Answer in JSON'),
      outputSchema: acceptedSchema(),
    });
    const r = result(run);
    expect(run.exitCode).toBe(0);
    expect(r.is_error).toBe(false);
    expect(r.structured_output).toEqual(verdict);
    const blocks = typed(run, 'assistant').flatMap(contentOf);
    expect(blocks.map((b) => [b.type, b.name])).toEqual([
      ['text', undefined],
      ['tool_use', 'StructuredOutput'],
    ]);
  });

  it("the orchestrator's own verdict schema (its $schema key dropped by the builder) comes back as structured_output", async () => {
    // Claude Code 2.1.197 leaves StructuredOutput out when the schema declares draft 2020-12.
    expect(verdictSchema()).toHaveProperty('$schema');
    const verdict = { verdict: 'approved', summary: 'MOCK looks good', findings: [] };
    const { run } = await launch({ rules: [{ respond: { structured: verdict } }], prompt: work('t1', 'Answer in JSON'), outputSchema: verdictSchema() });
    const r = result(run);
    expect(run.exitCode).toBe(0);
    expect((typed(run, 'system', 'init')[0] as { tools: string[] }).tools).toContain('StructuredOutput');
    expect(r.structured_output).toEqual(verdict);
  });

  for (const status of [500, 401] as const) {
    it(`fails fast on a scripted HTTP ${status}`, async () => {
      const { run, ms, provider: p } = await launch({
        rules: [{ respond: { error: { status, message: `MOCK scripted ${status}` } } }],
        prompt: work('t1', 'Say hello'),
      });
      const r = result(run);
      expect(run.exitCode).toBe(1);
      expect(r.is_error).toBe(true);
      expect(r.api_error_status).toBe(status);
      // CLAUDE_CODE_MAX_RETRIES=1 (clients.ts): one retry, so two requests and a few seconds.
      expect(typed(run, 'system', 'api_retry')).toHaveLength(1);
      expect(p.engine.calls).toHaveLength(2);
      expect(ms).toBeLessThan(30_000);
      const synthetic = typed(run, 'assistant').at(-1) as { error?: string };
      expect(synthetic.error).toBe(status === 401 ? 'authentication_failed' : 'server_error');
      if (status === 500) expect(r.result).toContain('MOCK scripted 500');
    });
  }

  it('plays a two-action sequence in order', async () => {
    const { run, cwd, provider: p } = await launch({
      rules: [
        {
          respond: {
            actions: [{ shell: 'echo one > one.txt' }, { write: { path: 'two.txt', content: 'two\n' } }],
            text: 'MOCK: both done',
          },
        },
      ],
      prompt: work('t1', 'Two steps'),
    });
    expect(run.exitCode).toBe(0);
    expect(readFileSync(join(cwd, 'one.txt'), 'utf8')).toBe('one\n');
    expect(readFileSync(join(cwd, 'two.txt'), 'utf8')).toBe('two\n');
    expect(toolUses(run).map((t) => t.name)).toEqual(['Bash', 'Write']);
    expect(p.engine.calls.map((c) => c.actionTurns)).toEqual([0, 1, 2]);
    expect(result(run).result).toBe('MOCK: both done');
  });

  it('review mode (dontAsk + allowedTools) answers a structured verdict; a write tool call is refused', async () => {
    const reportLog = join(tempDir('e2e-claude-reports-'), 'reports.jsonl');
    const verdict = { verdict: 'concern', summary: 'MOCK a concern', findings: [{ severity: 'minor', text: 'rename x' }] };
    const { run, cwd } = await launch({
      rules: [{ match: { kind: 'review' }, respond: { actions: [{ shell: 'touch forbidden.txt' }], structured: verdict } }],
      prompt: `${header('reviewer', 'review', 'review')}\n\nReview the change.`,
      mode: 'review',
      outputSchema: acceptedSchema(),
      reportLog,
    });
    const r = result(run);
    expect(run.exitCode).toBe(0);
    expect(existsSync(join(cwd, 'forbidden.txt'))).toBe(false);
    expect(toolResults(run)[0]?.is_error).toBe(true);
    expect(r.permission_denials).toEqual([expect.objectContaining({ tool_name: 'Bash' })]);
    expect(r.structured_output).toEqual(verdict);
  });

  it('review mode: the reporting tool is allowed (mcp__orchestrate) and reaches the server', async () => {
    const reportLog = join(tempDir('e2e-claude-reports-'), 'reports.jsonl');
    const { run } = await launch({
      rules: [{ respond: { actions: [{ report: { tool: 'report_finding', arguments: { text: 'MOCK finding', severity: 'minor' } } }], structured: { verdict: 'approved', summary: 'MOCK ok', findings: [] } } }],
      prompt: `${header('reviewer', 'review', 'review')}\n\nReview the change.`,
      mode: 'review',
      outputSchema: acceptedSchema(),
      reportLog,
    });
    const r = result(run);
    expect(run.exitCode).toBe(0);
    // The first request may go out before the server connects: then the mock calls WaitForMcpServers first.
    const calls = toolUses(run).map((t) => t.name);
    expect(calls.filter((n) => n !== 'WaitForMcpServers')).toEqual(['mcp__orchestrate__report_finding', 'StructuredOutput']);
    expect(toolResults(run).every((c) => c.is_error !== true)).toBe(true);
    expect(readFileSync(reportLog, 'utf8')).toContain('"tool":"report_finding"');
    expect(r.structured_output).toEqual({ verdict: 'approved', summary: 'MOCK ok', findings: [] });
  });

  it('todos, permission_denied and a write outside the workspace, as the real CLI runs them', async () => {
    const outside = join(tempDir('e2e-claude-outside-'), 'deep', 'outside.txt');
    const { run, cwd } = await launch({
      rules: [
        {
          respond: {
            actions: [
              { todos: [{ text: 'MOCK first', status: 'in_progress' }, { text: 'MOCK second', status: 'pending' }] },
              { fail: { kind: 'permission_denied' } },
              { fail: { kind: 'path_outside_workspace', path: outside, content: 'outside\n' } },
            ],
            text: 'MOCK: failures seen',
          },
        },
      ],
      prompt: work('t1', 'Fail a little'),
    });
    expect(run.exitCode).toBe(0);
    expect(toolUses(run).map((t) => t.name)).toEqual(['TaskCreate', 'TaskCreate', 'Bash', 'Write']);
    const results = toolResults(run);
    expect(results.slice(0, 2).every((c) => c.is_error !== true)).toBe(true);
    expect(results[2]).toMatchObject({ is_error: true });
    expect(resultText(results[2] ?? { type: '' })).toMatch(/Exit code 126[\s\S]*\.\/noexec\.sh: Permission denied/);
    expect(existsSync(join(cwd, 'noexec.sh'))).toBe(true);
    // Bypass mode (work) lets Claude write outside the cwd (agent-cli-facts §1.5); the guard is what stops it.
    expect(readFileSync(outside, 'utf8')).toBe('outside\n');
    expect(result(run).result).toBe('MOCK: failures seen');
  });

  it('--resume sends the history back; the engine takes the latest orchestrator prompt', async () => {
    const home = throwawayHome('claude');
    const cwd = tempDir('e2e-claude-ws-');
    const requestLog = join(tempDir('e2e-claude-log-'), 'requests.jsonl');
    const sessionId = randomUUID();
    const rules = [
      { match: { task: 't1' }, respond: { actions: [{ shell: 'echo first > first.txt' }], text: 'MOCK: first run done' } },
      { match: { task: 't2' }, respond: { text: 'MOCK: second run done' } },
    ];
    const first = await launch({ rules, prompt: work('t1', 'First'), cwd, home, sessionId, requestLog });
    expect(first.run.exitCode).toBe(0);
    expect(result(first.run).session_id).toBe(sessionId);
    const firstProvider = first.provider;
    const second = await launch({ rules, prompt: work('t2', 'Second'), cwd, home, resume: sessionId, requestLog, keepProvider: firstProvider });
    expect(second.run.exitCode).toBe(0);
    expect(result(second.run).session_id).toBe(sessionId);
    expect(result(second.run).result).toBe('MOCK: second run done');
    const calls = firstProvider.engine.calls.map((c) => [c.header.task, c.actionTurns, c.step]);
    // The second run's request holds the first run's tool call, yet counts no action after its own prompt.
    expect(calls).toEqual([
      ['t1', 0, 'action'],
      ['t1', 1, 'final'],
      ['t2', 0, 'final'],
    ]);
    const logged = readFileSync(requestLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { body?: { messages?: unknown[] } });
    const last = JSON.stringify(logged.at(-1)?.body?.messages);
    expect(last).toContain('echo first > first.txt');
    expect(last).toContain('MOCK: first run done');
    expect(last).toContain('task=t2');
  });

  it('the orchestrator guard hook refuses a scripted rm -rf; nothing is deleted', async () => {
    const cwd = tempDir('e2e-claude-ws-');
    writeFileSync(join(cwd, 'precious.txt'), 'keep me\n');
    const { run } = await launch({
      rules: [{ respond: { actions: [{ shell: 'rm -rf precious.txt' }], text: 'MOCK: tried to delete' } }],
      prompt: work('t1', 'Delete things'),
      cwd,
      guard: true,
    });
    expect(run.exitCode).toBe(0);
    expect(readFileSync(join(cwd, 'precious.txt'), 'utf8')).toBe('keep me\n');
    const hook = typed(run, 'system', 'hook_response').find((h) => h.hook_event === 'PreToolUse');
    // Claude Code calls a blocking exit 2 outcome "error" (not "blocked") in hook_response.
    expect(hook).toMatchObject({ exit_code: 2, outcome: 'error' });
    expect(result(run).permission_denials).toEqual([expect.objectContaining({ tool_name: 'Bash' })]);
    const refused = toolResults(run)[0];
    expect(refused?.is_error).toBe(true);
    expect(resultText(refused ?? { type: '' })).toContain('recursive forced delete');
  });
});
