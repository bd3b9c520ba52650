import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { codexAdapter } from '../../src/agents/codex/adapter.js';
import type { LaunchRequest } from '../../src/agents/types.js';
import { DIALECTS } from '../../src/mock-provider/dialects.js';
import { parseScript } from '../../src/mock-provider/script.js';
import { startMockProvider, type MockProvider } from '../../src/mock-provider/server.js';
import { header, verdictSchema } from '../../src/prompts/index.js';
import { reportingMcpServer } from '../../src/reporting/launch.js';
import { assertLoopbackOnly, runRealCli, tempDir, throwawayHome, type CliRun } from './helpers.js';

/**
 * The real Codex CLI against the mock provider's Responses dialect, launched with the argv the
 * orchestrator builds (codexAdapter.buildCommand) plus the mock's provider overrides.
 */
const CLI_ENTRY = resolve(import.meta.dirname, '..', '..', 'dist', 'bin', 'cli.js');
const CLASSIC = ['-m', 'gpt-5.5'];

let provider: MockProvider | undefined;

beforeAll(() => {
  assertLoopbackOnly();
  if (!existsSync(CLI_ENTRY)) throw new Error(`e2e: ${CLI_ENTRY} is missing; run \`npm run build\` first (the report case runs \`orchestrate mcp\`)`);
});

afterEach(async () => {
  await provider?.close();
  provider = undefined;
});

async function mock(rules: unknown[]): Promise<MockProvider> {
  const script = parseScript(JSON.stringify({ rules }));
  if ('kind' in script) throw new Error(script.message);
  provider = await startMockProvider({ script, dialects: DIALECTS });
  return provider;
}

function gitRepo(): string {
  const dir = tempDir('e2e-codex-ws-');
  execFileSync('git', ['init', '-q', dir]);
  return dir;
}

interface Launch {
  cwd: string;
  home: string;
  reportLog: string;
  run: CliRun;
}

/** Builds the launch the way the orchestrator does, writes its files, and runs the real CLI. */
async function launch(p: MockProvider, over: Partial<LaunchRequest> & { prompt: string }, reuse?: { cwd: string; home: string }): Promise<Launch> {
  const cwd = reuse?.cwd ?? gitRepo();
  const home = reuse?.home ?? throwawayHome('codex');
  const workspace = tempDir('e2e-codex-orch-');
  const reportLog = join(workspace, 'reports.jsonl');
  const request: LaunchRequest = {
    role: 'implementer',
    mode: 'work',
    cwd,
    workspace,
    extraDirs: [],
    isGitRepo: true,
    home,
    mcpServers: reportingMcpServer({ cliEntry: CLI_ENTRY, sessionId: 'e2e-session', workerId: 'w-codex', reportLog }),
    ...over,
  };
  const spec = codexAdapter.buildCommand(request);
  for (const file of spec.files) {
    if (file.ifMissing && existsSync(file.path)) continue;
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.content);
  }
  const run = await runRealCli('codex', spec.args, { url: p.url, cwd: spec.cwd, home, ...(spec.input !== undefined ? { input: spec.input } : {}) });
  return { cwd, home, reportLog, run };
}

const implement = (text: string): string => `${header('implementer', 'work', 'implement', 't1')}\n\n${text}`;
type Item = { type: string } & Record<string, unknown>;
const completed = (run: CliRun, type: string): Item[] =>
  run.lines.filter((l) => l.type === 'item.completed').map((l) => l.item as Item).filter((i) => i.type === type);
const lastMessage = (run: CliRun): string | undefined => completed(run, 'agent_message').at(-1)?.text as string | undefined;
const usage = (run: CliRun): Record<string, number> | undefined => run.lines.find((l) => l.type === 'turn.completed')?.usage as Record<string, number> | undefined;
const explain = (run: CliRun): string => `exit ${String(run.exitCode)}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr.slice(-3000)}`;

function expectSuccess(run: CliRun): void {
  expect(run.exitCode, explain(run)).toBe(0);
  expect(usage(run)?.input_tokens, explain(run)).toBeGreaterThan(0);
  expect(usage(run)?.output_tokens).toBeGreaterThan(0);
}

describe.each([
  { mode: 'code mode (default model)', extraArgs: [] as string[] },
  { mode: 'classic tools (-m gpt-5.5)', extraArgs: CLASSIC },
])('Codex $mode', ({ extraArgs }) => {
  it('answers with plain text', async () => {
    const p = await mock([{ respond: { text: 'MOCK: hello from the scripted model.' } }]);
    const { run } = await launch(p, { prompt: implement('Say hello'), extraArgs });
    expectSuccess(run);
    expect(lastMessage(run)).toBe('MOCK: hello from the scripted model.');
    expect(p.engine.calls).toHaveLength(1);
    expect(p.engine.calls[0]).toMatchObject({ cli: 'codex', rule: 0, header: { role: 'implementer', kind: 'implement', task: 't1' } });
  });

  it('plays shell, write, a todos step (passed over) and report in sequence, then the final text', async () => {
    const p = await mock([
      {
        match: { kind: 'implement' },
        respond: {
          actions: [
            { shell: 'mkdir -p out && echo "from shell" > out/shell.txt' },
            { todos: [{ text: 'write the file', status: 'in_progress' }] },
            { write: { path: 'src/greet.ts', content: 'export const hi = 1;\nexport const bye = 2;\n' } },
            { report: { tool: 'report_milestone', arguments: { text: 'greet.ts written' } } },
          ],
          text: 'Implemented t1.',
        },
      },
    ]);
    const { run, cwd, reportLog } = await launch(p, { prompt: implement('Do the work'), extraArgs });
    expectSuccess(run);
    expect(readFileSync(join(cwd, 'out', 'shell.txt'), 'utf8')).toBe('from shell\n');
    expect(readFileSync(join(cwd, 'src', 'greet.ts'), 'utf8')).toBe('export const hi = 1;\nexport const bye = 2;\n');
    expect(completed(run, 'command_execution')[0]).toMatchObject({ exit_code: 0, status: 'completed' });
    expect(completed(run, 'file_change')[0]).toMatchObject({ changes: [{ path: join(cwd, 'src', 'greet.ts'), kind: 'add' }], status: 'completed' });
    expect(completed(run, 'mcp_tool_call')[0]).toMatchObject({ server: 'orchestrate', tool: 'report_milestone', arguments: { text: 'greet.ts written' }, status: 'completed' });
    const reports = readFileSync(reportLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(reports).toMatchObject([{ tool: 'report_milestone', arguments: { text: 'greet.ts written' }, sessionId: 'e2e-session', workerId: 'w-codex' }]);
    expect(lastMessage(run)).toBe('Implemented t1.');
    // One request per played step plus the final answer; classic mode adds one tool_search.
    expect(p.engine.calls.filter((c) => c.step === 'action').length).toBeGreaterThanOrEqual(3);
  });

  it('a report as the very first action reaches the MCP server (the mock waits while it starts)', async () => {
    const p = await mock([{ respond: { actions: [{ report: { tool: 'report_progress', arguments: { text: 'starting', progress: 5 } } }], text: 'Reported.' } }]);
    const { run, reportLog } = await launch(p, { prompt: implement('Report first'), extraArgs });
    expectSuccess(run);
    expect(completed(run, 'mcp_tool_call')).toMatchObject([{ server: 'orchestrate', tool: 'report_progress', status: 'completed' }]);
    expect(JSON.parse(readFileSync(reportLog, 'utf8').trim())).toMatchObject({ tool: 'report_progress', arguments: { text: 'starting', progress: 5 } });
    expect(lastMessage(run)).toBe('Reported.');
  });

  it('a permission_denied failure is a real failed command', async () => {
    const p = await mock([{ respond: { actions: [{ fail: { kind: 'permission_denied' } }], text: 'It failed.' } }]);
    const cwd = gitRepo();
    writeFileSync(join(cwd, 'noexec.sh'), 'echo hi\n');
    chmodSync(join(cwd, 'noexec.sh'), 0o644);
    const { run } = await launch(p, { prompt: implement('Run the script'), extraArgs }, { cwd, home: throwawayHome('codex') });
    expectSuccess(run);
    expect(completed(run, 'command_execution')[0]).toMatchObject({ exit_code: 126, status: 'failed', aggregated_output: expect.stringContaining('Permission denied') as unknown });
  });
});

describe('Codex answers and failures', () => {
  it('--output-schema: the final agent_message is the scripted object as JSON', async () => {
    const structured = { summary: 'one task', tasks: [{ id: 't1', title: 'Write hello' }] };
    const p = await mock([{ match: { kind: 'plan' }, respond: { text: 'Here is the plan.', structured } }]);
    const schema = { type: 'object', properties: { summary: { type: 'string' } }, required: ['summary'], additionalProperties: true };
    const { run } = await launch(p, { role: 'architect', mode: 'work', prompt: header('architect', 'read-only', 'plan'), outputSchema: schema });
    expectSuccess(run);
    expect(JSON.parse(lastMessage(run) ?? 'null')).toEqual(structured);
    expect(completed(run, 'agent_message').map((i) => i.text)).toEqual(['Here is the plan.', JSON.stringify(structured)]);
  });

  it('review mode (-s read-only) answers a structured verdict', async () => {
    const verdict = { verdict: 'approve', summary: 'Looks right.', findings: [] };
    const p = await mock([{ match: { kind: 'review' }, respond: { structured: verdict } }]);
    const { run } = await launch(p, { role: 'reviewer', mode: 'review', prompt: `${header('reviewer', 'review', 'review', 't1')}\n\nReview this.`, outputSchema: verdictSchema() });
    expectSuccess(run);
    expect(JSON.parse(lastMessage(run) ?? 'null')).toEqual(verdict);
  });

  it('HTTP 500 fails the turn quickly with Codex’s own overload text', async () => {
    const p = await mock([{ respond: { error: { status: 500, message: 'Internal error (mock)' } } }]);
    const started = Date.now();
    const { run } = await launch(p, { prompt: implement('Say hello') });
    expect(run.exitCode, explain(run)).toBe(1);
    expect(run.lines.at(-1)).toMatchObject({ type: 'turn.failed', error: { message: 'We’re currently experiencing high demand, which may cause temporary errors.' } });
    expect(p.engine.calls).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('HTTP 401 fails the turn with the server’s message', async () => {
    const p = await mock([{ respond: { error: { status: 401, message: 'Incorrect API key provided (mock)' } } }]);
    const { run } = await launch(p, { prompt: implement('Say hello') });
    expect(run.exitCode, explain(run)).toBe(1);
    const failed = run.lines.at(-1) as { type: string; error: { message: string } };
    expect(failed.type).toBe('turn.failed');
    expect(failed.error.message).toMatch(/^unexpected status 401 Unauthorized: Incorrect API key provided \(mock\), url: http:\/\/127\.0\.0\.1:\d+\/v1\/responses, request id: req_/);
    expect(p.engine.calls).toHaveLength(1);
  });

  it('resume: `exec … resume -- <id> <prompt>` as the adapter builds it continues the thread', async () => {
    const p = await mock([
      { match: { promptIncludes: 'first' }, respond: { text: 'First answer.' } },
      { match: { promptIncludes: 'second' }, respond: { actions: [{ shell: 'echo resumed > resumed.txt' }], text: 'Second answer.' } },
    ]);
    const first = await launch(p, { prompt: implement('the first turn') });
    expectSuccess(first.run);
    const threadId = first.run.lines.find((l) => l.type === 'thread.started')?.thread_id as string;
    expect(threadId).toMatch(/^[0-9a-f-]{36}$/);
    const second = await launch(p, { prompt: implement('the second turn'), resumeSessionId: threadId }, { cwd: first.cwd, home: first.home });
    expectSuccess(second.run);
    expect(second.run.lines.find((l) => l.type === 'thread.started')?.thread_id).toBe(threadId);
    expect(lastMessage(second.run)).toBe('Second answer.');
    expect(readFileSync(join(first.cwd, 'resumed.txt'), 'utf8')).toBe('resumed\n');
  });

  it('outside a git repository without bypass: "Not inside a trusted directory", no request', async () => {
    const p = await mock([{ respond: { text: 'unreachable' } }]);
    const cwd = tempDir('e2e-codex-nogit-');
    const { run } = await launch(p, { role: 'reviewer', mode: 'review', prompt: header('reviewer', 'review', 'review'), isGitRepo: undefined }, { cwd, home: throwawayHome('codex') });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('Not inside a trusted directory and --skip-git-repo-check was not specified.');
    expect(p.engine.calls).toHaveLength(0);
  });
});
