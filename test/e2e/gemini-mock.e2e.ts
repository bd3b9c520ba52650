import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeLaunchFiles } from '../../src/actors/agent-run.js';
import { buildCommand } from '../../src/agents/gemini/command.js';
import type { LaunchRequest } from '../../src/agents/types.js';
import { parseAnswer } from '../../src/machines/plan.js';
import { DIALECTS } from '../../src/mock-provider/dialects.js';
import { MockScript } from '../../src/mock-provider/script.js';
import { startMockProvider, type MockProvider } from '../../src/mock-provider/server.js';
import { ReviewAnswer } from '../../src/protocol/index.js';
import { reportingMcpServer } from '../../src/reporting/launch.js';
import { assertLoopbackOnly, runRealCli, tempDir, throwawayHome, type CliRun } from './helpers.js';

/**
 * Gemini CLI 0.61 against the mock provider's Gemini dialect, launched with the orchestrator's
 * own argv (buildCommand). `-m gemini-2.5-flash` pins the model where the router call is not
 * the point: the router retries 500s on its own.
 */

const CLI_ENTRY = resolve('dist/bin/cli.js');
const PINNED = ['-m', 'gemini-2.5-flash'];

interface Launch {
  prompt: string;
  cwd: string;
  home: string;
  mode?: LaunchRequest['mode'];
  role?: LaunchRequest['role'];
  extraArgs?: string[];
  extraDirs?: string[];
  outputSchema?: Record<string, unknown>;
  mcpServers?: LaunchRequest['mcpServers'];
  resumeSessionId?: string;
  presetSessionId?: string;
  guard?: LaunchRequest['guard'];
}

interface Run extends CliRun {
  provider: MockProvider;
  requests: { path: string; body: Record<string, unknown> }[];
  ms: number;
}

/** Builds the launch as the orchestrator would, writes its files, runs the real CLI against a fresh mock. */
async function run(rules: unknown[], launch: Launch): Promise<Run> {
  const log = join(tempDir('e2e-gemini-log-'), 'requests.jsonl');
  const provider = await startMockProvider({ script: MockScript.parse({ rules }), dialects: DIALECTS, requestLog: log });
  try {
    const spec = buildCommand({
      role: launch.role ?? 'implementer',
      mode: launch.mode ?? 'work',
      prompt: launch.prompt,
      cwd: launch.cwd,
      workspace: launch.cwd,
      extraDirs: launch.extraDirs ?? [],
      env: { GOOGLE_GEMINI_BASE_URL: provider.url },
      home: launch.home,
      ...(launch.extraArgs ? { extraArgs: launch.extraArgs } : {}),
      ...(launch.outputSchema ? { outputSchema: launch.outputSchema } : {}),
      ...(launch.mcpServers ? { mcpServers: launch.mcpServers } : {}),
      ...(launch.resumeSessionId ? { resumeSessionId: launch.resumeSessionId } : {}),
      ...(launch.presetSessionId ? { presetSessionId: launch.presetSessionId } : {}),
      ...(launch.guard ? { guard: launch.guard } : {}),
    });
    writeLaunchFiles(spec);
    const started = Date.now();
    const result = await runRealCli('gemini', spec.args, { url: provider.url, cwd: launch.cwd, home: launch.home, env: spec.env });
    const ms = Date.now() - started;
    const requests = existsSync(log)
      ? readFileSync(log, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { path: string; body: Record<string, unknown> })
      : [];
    return { ...result, provider, requests, ms };
  } finally {
    await provider.close();
  }
}

const byType = (r: CliRun, type: string): Record<string, unknown>[] => r.lines.filter((l) => l.type === type);
const result = (r: CliRun): Record<string, unknown> | undefined => byType(r, 'result').at(-1);
/** The assistant's chunks joined, as the CLI shows one message. */
const assistantText = (r: CliRun): string =>
  r.lines
    .filter((l) => l.type === 'message' && l.role === 'assistant')
    .map((l) => String(l.content))
    .join('');
const toolNames = (r: CliRun): string[] => byType(r, 'tool_use').map((l) => String(l.tool_name));
const modelsOf = (r: CliRun): string[] => Object.keys(((result(r)?.stats as Record<string, unknown> | undefined)?.models ?? {}));
const explain = (r: CliRun): string => `exit ${r.exitCode}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr.slice(-3000)}`;

function workspace(): { cwd: string; home: string } {
  return { cwd: tempDir('e2e-gemini-ws-'), home: throwawayHome('gemini') };
}

describe('Gemini CLI against the mock provider', () => {
  beforeAll(() => assertLoopbackOnly());

  it('answers plain text; with the default model "auto" the router call is answered by the dialect', async () => {
    const ws = workspace();
    const r = await run([{ respond: { text: 'MOCK_TEXT_OK: hello from the mock.' } }], { ...ws, prompt: '[orchestrate role=implementer mode=work kind=implement task=t1] Say hello' });
    expect(r.exitCode, explain(r)).toBe(0);
    expect(assistantText(r)).toBe('MOCK_TEXT_OK: hello from the mock.');
    expect(result(r)?.status).toBe('success');
    expect(byType(r, 'init')[0]?.model).toBe('auto');
    const router = r.requests.find((q) => q.path.endsWith(':generateContent'));
    expect(router?.path).toMatch(/flash-lite:generateContent$/);
    // No router fallback stack: the classification was valid.
    expect(r.stderr).not.toContain('NumericalClassifierStrategy failed');
    expect(modelsOf(r).some((m) => m.includes('flash-lite'))).toBe(true);
    const stats = result(r)?.stats as { input_tokens: number; output_tokens: number };
    expect(stats.input_tokens).toBeGreaterThan(0);
    expect(stats.output_tokens).toBeGreaterThan(0);
    expect(r.provider.engine.calls.map((c) => [c.rule, c.step, c.header.task])).toEqual([[0, 'final', 't1']]);
  });

  it('with the model pinned by -m there is no router call; todos use write_todos where the model has it', async () => {
    const ws = workspace();
    const r = await run(
      [{ respond: { actions: [{ todos: [{ text: 'write hello', status: 'in_progress' }] }, { shell: 'echo hi > hi.txt' }], text: 'Pinned done.' } }],
      { ...ws, prompt: 'Pinned run', extraArgs: PINNED },
    );
    expect(r.exitCode, explain(r)).toBe(0);
    expect(byType(r, 'init')[0]?.model).toBe('gemini-2.5-flash');
    expect(r.requests.every((q) => q.path === '/v1beta/models/gemini-2.5-flash:streamGenerateContent')).toBe(true);
    expect(modelsOf(r)).toEqual(['gemini-2.5-flash']);
    expect(toolNames(r)).toEqual(['write_todos', 'run_shell_command']);
    expect(readFileSync(join(ws.cwd, 'hi.txt'), 'utf8')).toBe('hi\n');
    expect(assistantText(r)).toBe('Pinned done.');
  });

  it('a shell action really creates a file', async () => {
    const ws = workspace();
    const r = await run([{ respond: { actions: [{ shell: 'echo hello > out.txt && ls' }], text: 'Shell done.' } }], { ...ws, prompt: 'Create out.txt', extraArgs: PINNED });
    expect(r.exitCode, explain(r)).toBe(0);
    expect(toolNames(r)).toEqual(['run_shell_command']);
    expect(byType(r, 'tool_result')[0]).toMatchObject({ status: 'success', output: 'out.txt' });
    expect(readFileSync(join(ws.cwd, 'out.txt'), 'utf8')).toBe('hello\n');
    expect(assistantText(r)).toBe('Shell done.');
  });

  it('a write action writes the file relative to the cwd', async () => {
    const ws = workspace();
    const r = await run([{ respond: { actions: [{ write: { path: 'src/greet.ts', content: 'export const hi = 1;\n' } }], text: 'Written.' } }], { ...ws, prompt: 'Write greet', extraArgs: PINNED });
    expect(r.exitCode, explain(r)).toBe(0);
    expect(toolNames(r)).toEqual(['write_file']);
    expect(byType(r, 'tool_use')[0]?.parameters).toMatchObject({ file_path: join(ws.cwd, 'src/greet.ts') });
    expect(byType(r, 'tool_result')[0]?.status).toBe('success');
    expect(readFileSync(join(ws.cwd, 'src/greet.ts'), 'utf8')).toBe('export const hi = 1;\n');
  });

  it('a two-action sequence runs in order, each step once', async () => {
    const ws = workspace();
    const r = await run([{ respond: { actions: [{ shell: 'echo step1 > step1.txt' }, { shell: 'cat step1.txt > step2.txt' }], text: 'Both steps done.' } }], { ...ws, prompt: 'Do two steps', extraArgs: PINNED });
    expect(r.exitCode, explain(r)).toBe(0);
    expect(byType(r, 'tool_use').map((l) => (l.parameters as { command: string }).command)).toEqual(['echo step1 > step1.txt', 'cat step1.txt > step2.txt']);
    expect(readFileSync(join(ws.cwd, 'step2.txt'), 'utf8')).toBe('step1\n');
    expect(r.provider.engine.calls.map((c) => [c.actionTurns, c.step])).toEqual([[0, 'action'], [1, 'action'], [2, 'final']]);
    expect(result(r)?.stats).toMatchObject({ tool_calls: 2 });
  });

  it('permission_denied runs a file that is not executable: the real shell refusal', async () => {
    const ws = workspace();
    const r = await run([{ respond: { actions: [{ fail: { kind: 'permission_denied' } }], text: 'Could not run it.' } }], { ...ws, prompt: 'Run the script', extraArgs: PINNED });
    expect(r.exitCode, explain(r)).toBe(0);
    expect(String(byType(r, 'tool_result')[0]?.output)).toMatch(/\.\/noexec\.sh: Permission denied/);
    expect(existsSync(join(ws.cwd, 'noexec.sh'))).toBe(false);
  });

  it('a report reaches the real `orchestrate mcp` server configured through the settings file the adapter writes', async () => {
    expect(existsSync(CLI_ENTRY), 'run `npm run build` first').toBe(true);
    const cwd = tempDir('e2e-gemini-ws-');
    // A bare HOME: the adapter's own settings file (auth type, MCP server) is the only one.
    const home = tempDir('e2e-gemini-home-');
    const reportLog = join(tempDir('e2e-gemini-report-'), 'reports.jsonl');
    const mcpServers = reportingMcpServer({ cliEntry: CLI_ENTRY, sessionId: 'sess-e2e', workerId: 'w-e2e', reportLog });
    const r = await run(
      [{ respond: { actions: [{ report: { tool: 'report_milestone', arguments: { text: 'hello written and ready for review' } } }], text: 'Reported.' } }],
      { cwd, home, prompt: '[orchestrate role=implementer mode=work kind=implement task=t1] report', mcpServers, extraArgs: PINNED },
    );
    expect(r.exitCode, explain(r)).toBe(0);
    expect(JSON.parse(readFileSync(join(home, '.gemini', 'settings.json'), 'utf8'))).toHaveProperty('mcpServers.orchestrate');
    expect(toolNames(r)).toEqual(['mcp_orchestrate_report_milestone']);
    expect(byType(r, 'tool_result')[0]?.status, explain(r)).toBe('success');
    const reports = readFileSync(reportLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(reports).toHaveLength(1);
    expect(JSON.stringify(reports[0])).toContain('hello written and ready for review');
    expect(JSON.stringify(reports[0])).toContain('report_milestone');
  });

  it('a structured answer is the final text, exactly the JSON object', async () => {
    const ws = workspace();
    const plan = { summary: 'Add hello', tasks: [{ id: 't1', title: 'Write hello.txt' }] };
    const schema = { type: 'object', properties: { summary: { type: 'string' } } };
    const r = await run([{ respond: { structured: plan } }], { ...ws, role: 'architect', prompt: '[orchestrate role=architect mode=work kind=plan task=-] plan', outputSchema: schema, extraArgs: PINNED });
    expect(r.exitCode, explain(r)).toBe(0);
    expect(JSON.parse(assistantText(r))).toEqual(plan);
    // The schema went into the prompt (promptWithSchema), which the mock saw as the prompt.
    expect(r.provider.engine.calls[0]?.header).toMatchObject({ kind: 'plan' });
  });

  it('text with a structured answer parses as the orchestrator parses answers', async () => {
    const ws = workspace();
    const verdict = { verdict: 'approved', summary: 'Looks right.', findings: [] };
    const r = await run([{ respond: { text: 'Reviewed the diff.', structured: verdict } }], { ...ws, prompt: 'review', extraArgs: PINNED });
    expect(r.exitCode, explain(r)).toBe(0);
    const text = assistantText(r);
    expect(text.startsWith('Reviewed the diff.')).toBe(true);
    expect(parseAnswer(ReviewAnswer, undefined, text)).toEqual({ ok: true, value: verdict });
  });

  it('HTTP 500: the CLI retries once (maxAttempts 2) and exits 244 with the API error', async () => {
    const ws = workspace();
    const r = await run([{ respond: { error: { status: 500, message: 'Internal error encountered. (mock)' } } }], { ...ws, prompt: 'fail please', extraArgs: PINNED });
    expect(r.exitCode, explain(r)).toBe(244);
    expect(result(r)).toMatchObject({ status: 'error' });
    expect(JSON.stringify(result(r)?.error)).toContain('{\\"error\\":{\\"code\\":500,\\"message\\":\\"Internal error encountered. (mock)\\",\\"status\\":\\"INTERNAL\\"}}');
    expect(r.provider.engine.calls).toHaveLength(2);
    expect(r.ms).toBeLessThan(60_000);
  });

  it('HTTP 401: not retried, exits 145', async () => {
    const ws = workspace();
    const r = await run([{ respond: { error: { status: 401, message: 'API key not valid. (mock)' } } }], { ...ws, prompt: 'fail please', extraArgs: PINNED });
    expect(r.exitCode, explain(r)).toBe(145);
    expect(JSON.stringify(result(r)?.error)).toContain('UNAUTHENTICATED');
    expect(r.provider.engine.calls).toHaveLength(1);
    expect(r.ms).toBeLessThan(30_000);
  });

  it('review mode (--approval-mode plan): a structured verdict works; the MCP tools and the shell are not offered', async () => {
    const cwd = tempDir('e2e-gemini-ws-');
    const home = tempDir('e2e-gemini-home-');
    const reportLog = join(tempDir('e2e-gemini-report-'), 'reports.jsonl');
    const mcpServers = reportingMcpServer({ cliEntry: CLI_ENTRY, sessionId: 'sess-e2e', workerId: 'w-e2e', reportLog });
    const verdict = { verdict: 'approved', summary: 'Fine.', findings: [] };
    const r = await run(
      [{ respond: { actions: [{ report: { tool: 'report_finding', arguments: { text: 'a risk' } } }], structured: verdict } }],
      { cwd, home, mode: 'review', role: 'reviewer', prompt: '[orchestrate role=reviewer mode=review kind=review task=t1] review', mcpServers, outputSchema: { type: 'object' } },
    );
    expect(r.exitCode, explain(r)).toBe(0);
    const offered = (r.requests.at(-1)?.body.tools as { functionDeclarations: { name: string }[] }[])[0]?.functionDeclarations.map((f) => f.name) ?? [];
    expect(offered).not.toContain('run_shell_command');
    expect(offered.some((n) => n.includes('report_'))).toBe(false);
    expect(toolNames(r)).toEqual([]);
    const text = assistantText(r);
    expect(text).toContain('[mock skipped]');
    expect(parseAnswer(ReviewAnswer, undefined, text)).toEqual({ ok: true, value: verdict });
    expect(existsSync(reportLog)).toBe(false);
  });

  it('a write outside the workspace fails with "Path not in workspace"; --include-directories (the recovery) lets it through', async () => {
    const outside = tempDir('e2e-gemini-outside-');
    const target = join(outside, 'outside.txt');
    const rules = [{ respond: { actions: [{ fail: { kind: 'path_outside_workspace', path: target, content: 'out\n' } }], text: 'Tried.' } }];
    const ws = workspace();
    const refused = await run(rules, { ...ws, prompt: 'write outside', extraArgs: PINNED });
    expect(refused.exitCode, explain(refused)).toBe(0);
    const error = byType(refused, 'tool_result')[0];
    expect(error).toMatchObject({ status: 'error', error: { type: 'invalid_tool_params' } });
    expect(String(error?.output)).toContain(`Path not in workspace: Attempted path "${target}" resolves outside the allowed workspace directories: ${ws.cwd}`);
    expect(refused.stderr).toContain('Error executing tool write_file: Path not in workspace');
    expect(existsSync(target)).toBe(false);

    const again = await run(rules, { ...ws, prompt: 'write outside', extraArgs: PINNED, extraDirs: [outside] });
    expect(again.exitCode, explain(again)).toBe(0);
    expect(byType(again, 'tool_result')[0]?.status).toBe('success');
    expect(readFileSync(target, 'utf8')).toBe('out\n');
  });

  it('--resume continues the conversation under the same session id', async () => {
    const ws = workspace();
    const id = '9e3141ee-0000-4000-8000-0000000093e1';
    const first = await run([{ respond: { text: 'First answer.' } }], { ...ws, prompt: 'First turn', presetSessionId: id });
    expect(first.exitCode, explain(first)).toBe(0);
    expect(byType(first, 'init')[0]?.session_id).toBe(id);
    const second = await run([{ match: { promptIncludes: 'Second turn' }, respond: { actions: [{ shell: 'echo resumed > resumed.txt' }], text: 'Second answer.' } }], { ...ws, prompt: 'Second turn', resumeSessionId: id });
    expect(second.exitCode, explain(second)).toBe(0);
    expect(byType(second, 'init')[0]?.session_id).toBe(id);
    expect(assistantText(second)).toBe('Second answer.');
    expect(readFileSync(join(ws.cwd, 'resumed.txt'), 'utf8')).toBe('resumed\n');
    // The history the CLI sends back holds the first turn; the mock stays with the second prompt.
    const main = second.requests.filter((q) => q.path.endsWith(':streamGenerateContent'));
    expect(JSON.stringify(main[0]?.body.contents)).toContain('First answer.');
    expect(second.provider.engine.calls.map((c) => [c.rule, c.actionTurns, c.step])).toEqual([[0, 0, 'action'], [0, 1, 'final']]);
    // For the report: every request path of the resumed run (router and any side calls).
    expect(second.requests.map((q) => q.path).filter((p) => p.endsWith(':generateContent')).length).toBeGreaterThanOrEqual(1);
  });

  it("the adapter's guard wiring (a BeforeTool hook in its Gemini settings) refuses a scripted rm -rf", async () => {
    expect(existsSync(CLI_ENTRY), 'run `npm run build` first').toBe(true);
    const ws = workspace();
    mkdirSync(join(ws.cwd, 'victim'));
    writeFileSync(join(ws.cwd, 'victim', 'keep.txt'), 'keep\n');
    const guard = { command: process.execPath, args: [CLI_ENTRY, 'guard', '--allow-root', ws.cwd] };
    const r = await run([{ respond: { actions: [{ shell: 'rm -rf victim' }, { shell: 'echo after > after.txt' }], text: 'Hook test done.' } }], { ...ws, prompt: 'clean up', extraArgs: PINNED, guard });
    expect(r.exitCode, explain(r)).toBe(0);
    const [blocked, allowed] = byType(r, 'tool_result');
    expect(blocked).toMatchObject({ status: 'error', error: { type: 'policy_violation' } });
    expect(String(blocked?.output)).toMatch(/^Tool execution blocked: orchestrate guard denied run_shell_command/);
    expect(allowed?.status).toBe('success');
    expect(readFileSync(join(ws.cwd, 'victim', 'keep.txt'), 'utf8')).toBe('keep\n');
    expect(existsSync(join(ws.cwd, 'after.txt'))).toBe(true);
  });
});
