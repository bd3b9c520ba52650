import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getAdapter } from '../../src/agents/registry.js';
import type { ExitInfo, LaunchRequest, RunMode } from '../../src/agents/types.js';
import type { AgentEventDraft, Role } from '../../src/protocol/index.js';
import { fakeCommand, readLaunches, tempDir } from './fake-agents.js';

type Cli = 'claude' | 'codex' | 'gemini';

interface Run {
  events: AgentEventDraft[];
  stdout: string;
  stderr: string;
  exit: ExitInfo;
}

interface Kind {
  role: Role;
  mode: RunMode;
  kind: 'plan' | 'implement' | 'review' | 'final-review';
  task?: string;
}

const header = (k: Kind): string => `[orchestrate role=${k.role} mode=${k.mode} kind=${k.kind} task=${k.task ?? '-'}]`;

const PLAN = { summary: 'Add a greeting', tasks: [{ id: 't1', title: 'Write hello.txt', assignee: 'implementer' }] };
const PLAN_SCHEMA = { type: 'object', properties: { summary: { type: 'string' }, tasks: { type: 'array' } }, required: ['summary', 'tasks'] };

function scriptFile(dir: string, rules: unknown[]): string {
  const path = join(dir, 'script.json');
  writeFileSync(path, JSON.stringify({ rules }));
  return path;
}

function request(cwd: string, k: Kind, extra: Partial<LaunchRequest> = {}): LaunchRequest {
  return {
    role: k.role,
    mode: k.mode,
    prompt: `${header(k)}\nDo what the orchestrator asks.`,
    cwd,
    workspace: join(cwd, '.orchestrate'),
    extraDirs: [],
    isGitRepo: true,
    ...extra,
  };
}

/** Launch the fake bin exactly as the orchestrator would launch the real CLI, then translate its stdout. */
function run(cli: Cli, req: LaunchRequest, env: Record<string, string>, killWhen?: (stdout: string) => boolean): Promise<Run> {
  const adapter = getAdapter(cli);
  const spec = adapter.buildCommand({ ...req, command: fakeCommand(cli) });
  return new Promise((resolve, reject) => {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env, ...env },
      stdio: [spec.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    // A fake that hangs by mistake must not outlive the test.
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
      // Give a hanging fake a moment to show it prints nothing more, then end it.
      if (killWhen?.(stdout)) setTimeout(() => child.kill('SIGTERM'), 300);
    });
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    if (spec.input !== undefined) child.stdin?.end(spec.input);
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      clearTimeout(guard);
      const exit = { exitCode, signal };
      let state = adapter.initialState();
      const events: AgentEventDraft[] = [];
      for (const line of stdout.split('\n').filter((l) => l.length > 0)) {
        const step = adapter.translate(line, state);
        events.push(...step.events);
        state = step.state;
      }
      events.push(...adapter.finish(state, exit));
      resolve({ events, stdout, stderr, exit });
    });
  });
}

const kinds = (events: AgentEventDraft[], kind: string): AgentEventDraft[] => events.filter((e) => e.payload.kind === kind);
const completed = (r: Run): AgentEventDraft | undefined => kinds(r.events, 'run.completed')[0];
const sessionOf = (r: Run): unknown => r.events.find((e) => typeof e.payload.agentSessionId === 'string')?.payload.agentSessionId;
const unparseable = (r: Run): AgentEventDraft[] => kinds(r.events, 'stream.unparseable');

describe.each(['claude', 'codex', 'gemini'] as const)('scripted fake %s', (cli) => {
  it('answers a plan with the structured object', async () => {
    const dir = tempDir('orch-scripted-');
    const script = scriptFile(dir, [
      { match: { kind: 'implement' }, respond: { text: 'wrong rule' } },
      { match: { role: 'architect', kind: 'plan', cli }, respond: { text: 'Here is my plan.', structured: PLAN } },
    ]);
    const r = await run(cli, request(dir, { role: 'architect', mode: 'read-only', kind: 'plan' }, { outputSchema: PLAN_SCHEMA }), {
      FAKE_SCRIPT: script,
    });
    expect(r.exit).toEqual({ exitCode: 0, signal: null });
    expect(unparseable(r)).toEqual([]);
    expect(kinds(r.events, 'run.failed')).toEqual([]);
    expect(completed(r)?.payload.structured).toEqual(PLAN);
  });

  it('performs shell, write, todo and report actions for real and in the native stream', async () => {
    const dir = tempDir('orch-scripted-');
    const target = join(dir, 'repo');
    const argvFile = join(dir, 'argv.jsonl');
    const script = scriptFile(dir, [
      {
        match: { kind: 'implement', task: 't1', mode: 'work' },
        respond: {
          actions: [
            { todos: [{ text: 'write hello', status: 'in_progress' }, { text: 'report', status: 'pending' }] },
            { shell: 'echo from-shell > shell.txt && ls' },
            { write: { path: 'src/hello.txt', content: 'hello\n' } },
            { report: { tool: 'report_milestone', arguments: { summary: 'hello.txt written', progress: 50 } } },
            { report: { tool: 'report_progress', arguments: { text: 'halfway', progress: 60 } } },
          ],
          text: 'Implemented t1.',
        },
      },
    ]);
    mkdirSync(target);
    const r = await run(cli, request(target, { role: 'implementer', mode: 'work', kind: 'implement', task: 't1' }), {
      FAKE_SCRIPT: script,
      FAKE_ARGV_FILE: argvFile,
    });
    expect(r.exit.exitCode).toBe(0);
    expect(unparseable(r)).toEqual([]);

    expect(readFileSync(join(target, 'shell.txt'), 'utf8')).toBe('from-shell\n');
    expect(readFileSync(join(target, 'src', 'hello.txt'), 'utf8')).toBe('hello\n');

    const calls = kinds(r.events, 'tool.call');
    expect(calls.some((e) => e.type === 'progress' && String(e.payload.command).includes('echo from-shell > shell.txt'))).toBe(true);
    expect(calls.some((e) => String(e.payload.file).endsWith('src/hello.txt'))).toBe(true);
    const results = kinds(r.events, 'tool.result');
    expect(results.some((e) => JSON.stringify(e.payload).includes('shell.txt'))).toBe(true);

    const milestones = r.events.filter((e) => e.type === 'milestone');
    expect(milestones).toHaveLength(1);
    expect(milestones[0]?.payload).toMatchObject({ kind: 'report.milestone', text: 'hello.txt written', progress: 50 });
    expect(r.events.filter((e) => e.type === 'progress' && e.payload.kind === 'report.progress')).toHaveLength(1);

    const todos = r.events.filter((e) => e.type === 'task');
    expect(todos.length).toBeGreaterThanOrEqual(1);
    expect(todos[0]?.payload.todos).toHaveLength(2);

    expect(completed(r)?.payload.text).toBe('Implemented t1.');
    expect(readLaunches(argvFile)).toHaveLength(1);
    expect(readLaunches(argvFile)[0]?.cli).toBe(cli);
  });

  it('prints a refused shell command the way the CLI does, classified permission_denied', async () => {
    const dir = tempDir('orch-scripted-');
    const script = scriptFile(dir, [{ respond: { actions: [{ fail: { kind: 'permission_denied', path: './build.sh' } }], text: 'It failed.' } }]);
    const req = request(dir, { role: 'implementer', mode: 'work', kind: 'implement', task: 't2' });
    const r = await run(cli, req, { FAKE_SCRIPT: script });
    expect(r.exit.exitCode).toBe(0);
    const failed = kinds(r.events, 'tool.failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.payload.text).toContain('./build.sh: Permission denied');
    const c = getAdapter(cli).classify({ request: req, events: r.events, stderr: r.stderr, exit: r.exit });
    expect(c?.kind).toBe('permission_denied');
  });

  it('prints a write outside the workspace the way the CLI does, without writing it', async () => {
    const dir = tempDir('orch-scripted-');
    const outside = join(tempDir('orch-outside-'), 'sub', 'outside.txt');
    const script = scriptFile(dir, [{ respond: { actions: [{ fail: { kind: 'path_outside_workspace', path: outside } }], text: 'Could not write.' } }]);
    const req = request(dir, { role: 'implementer', mode: 'work', kind: 'implement', task: 't3' });
    const r = await run(cli, req, { FAKE_SCRIPT: script });
    expect(r.exit.exitCode).toBe(0);
    expect(existsSync(outside)).toBe(false);
    const failed = kinds(r.events, 'tool.failed');
    const c = getAdapter(cli).classify({ request: req, events: r.events, stderr: r.stderr, exit: r.exit });
    if (cli === 'gemini') {
      expect(failed[0]?.payload.text).toContain(`Path not in workspace: Attempted path "${outside}" resolves outside the allowed workspace directories: ${dir}`);
      expect(r.stderr).toContain('Error executing tool write_file: Path not in workspace');
      expect(c?.kind).toBe('path_outside_workspace');
      expect(c?.remedy).toMatchObject({ action: 'relaunch', fix: { kind: 'include-directories', dirs: [join(outside, '..')] } });
    } else if (cli === 'claude') {
      expect(failed[0]?.payload.text).toContain(`Claude requested permissions to write to ${outside}, but you haven't granted it yet.`);
      expect(kinds(r.events, 'permission.denials')).toHaveLength(1);
      expect(c?.kind).toBe('permission_denials');
      expect(c?.remedy).toMatchObject({ action: 'relaunch', fix: { kind: 'add-dir', dirs: [join(outside, '..')] } });
    } else {
      // Codex hides sandbox-denied commands from --json: no item, nothing to classify.
      expect(failed).toEqual([]);
      expect(kinds(r.events, 'tool.call')).toEqual([]);
      expect(c).toBeNull();
    }
  });

  it('consumes `times` rules in order across invocations, then falls through', async () => {
    const dir = tempDir('orch-scripted-');
    const script = scriptFile(dir, [
      { match: { kind: 'review' }, times: 1, respond: { text: 'first review' } },
      { match: { kind: 'review', promptIncludes: 'review' }, times: 2, respond: { text: 'second review' } },
      { match: { kind: ['review', 'final-review'] }, respond: { text: 'any later review' } },
    ]);
    const req = request(dir, { role: 'reviewer', mode: 'review', kind: 'review', task: 't1' });
    const texts: unknown[] = [];
    for (let i = 0; i < 4; i++) texts.push(completed(await run(cli, req, { FAKE_SCRIPT: script }))?.payload.text);
    expect(texts).toEqual(['first review', 'second review', 'second review', 'any later review']);
    const none = await run(cli, request(dir, { role: 'architect', mode: 'read-only', kind: 'plan' }), { FAKE_SCRIPT: script });
    expect(none.exit.exitCode).toBe(0);
    expect(completed(none)?.payload.text).toBe('fake agent: no rule matched');
    const state = JSON.parse(readFileSync(`${script}.state.json`, 'utf8')) as { uses: Record<string, number>; calls: unknown[] };
    expect(state.uses).toEqual({ 0: 1, 1: 2, 2: 1 });
    expect(state.calls).toHaveLength(5);
  });

  it('counts uses correctly when several agents run at once', async () => {
    const dir = tempDir('orch-scripted-');
    const rules = [0, 1, 2, 3, 4].map((i) => ({ match: { kind: 'review' }, times: 1, respond: { text: `review ${i}` } }));
    const script = scriptFile(dir, rules);
    const req = request(dir, { role: 'reviewer', mode: 'review', kind: 'review', task: 't1' });
    const runs = await Promise.all([0, 1, 2, 3, 4].map(() => run(cli, req, { FAKE_SCRIPT: script })));
    const texts = runs.map((r) => String(completed(r)?.payload.text)).sort();
    expect(texts).toEqual(['review 0', 'review 1', 'review 2', 'review 3', 'review 4']);
  });

  it('honours preset and resumed session ids', async () => {
    const dir = tempDir('orch-scripted-');
    const script = scriptFile(dir, [{ respond: { text: 'ok' } }]);
    const k: Kind = { role: 'implementer', mode: 'work', kind: 'implement', task: 't1' };
    const preset = '9e3141ee-0000-4000-8000-0000000093e1';
    const first = await run(cli, request(dir, k, cli === 'codex' ? {} : { presetSessionId: preset }), { FAKE_SCRIPT: script });
    const id = sessionOf(first);
    expect(typeof id).toBe('string');
    if (cli !== 'codex') expect(id).toBe(preset);
    else expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const resumed = await run(cli, request(dir, k, { resumeSessionId: String(id) }), { FAKE_SCRIPT: script });
    expect(sessionOf(resumed)).toBe(id);
    expect(completed(resumed)?.payload.text).toBe('ok');
  });

  it('reads the header from a prompt sent on stdin', async () => {
    const dir = tempDir('orch-scripted-');
    const script = scriptFile(dir, [{ match: { kind: 'final-review', role: 'reviewer' }, respond: { structured: { verdict: 'approve' } } }]);
    const k: Kind = { role: 'reviewer', mode: 'review', kind: 'final-review' };
    // Longer than MAX_ARGV_PROMPT: every command builder moves it to stdin.
    const prompt = `${header(k)}\n${'Review everything. '.repeat(6000)}`;
    const r = await run(cli, request(dir, k, { prompt, outputSchema: { type: 'object' } }), { FAKE_SCRIPT: script });
    expect(completed(r)?.payload.structured).toEqual({ verdict: 'approve' });
  });

  it('crashes on demand, and overrides the exit code and stderr', async () => {
    const dir = tempDir('orch-scripted-');
    const script = scriptFile(dir, [
      { times: 1, respond: { actions: [{ shell: 'true' }], behavior: 'crash' } },
      { respond: { text: 'late', exitCode: 3, stderr: 'boom\n' } },
    ]);
    const req = request(dir, { role: 'implementer', mode: 'work', kind: 'implement', task: 't1' });
    const crashed = await run(cli, req, { FAKE_SCRIPT: script });
    expect(crashed.exit.signal).toBe('SIGKILL');
    expect(kinds(crashed.events, 'tool.call')).toHaveLength(1);
    expect(completed(crashed)).toBeUndefined();
    const failed = await run(cli, req, { FAKE_SCRIPT: script });
    expect(failed.exit.exitCode).toBe(3);
    expect(failed.stderr).toContain('boom');
  });

  it('hangs after its actions until killed', async () => {
    const dir = tempDir('orch-scripted-');
    const script = scriptFile(dir, [{ respond: { actions: [{ write: { path: 'h.txt', content: 'h' } }], behavior: 'hang', text: 'never' } }]);
    const req = request(dir, { role: 'implementer', mode: 'work', kind: 'implement', task: 't1' });
    const hung = await run(cli, req, { FAKE_SCRIPT: script }, (out) => out.includes('h.txt'));
    expect(hung.exit.signal).toBe('SIGTERM');
    expect(readFileSync(join(dir, 'h.txt'), 'utf8')).toBe('h');
    expect(completed(hung)).toBeUndefined();
  });
});

describe('scripted fake, raw responses', () => {
  it('prints exactly the raw stdout, stderr and exit code (the Codex git-trust refusal)', async () => {
    const dir = tempDir('orch-scripted-');
    const refusal = 'Not inside a trusted directory and --skip-git-repo-check was not specified.\n';
    const script = scriptFile(dir, [{ match: { cli: 'codex' }, times: 1, respond: { raw: { stdout: '', stderr: refusal, exitCode: 1 } } }]);
    const req = request(dir, { role: 'implementer', mode: 'read-only', kind: 'implement', task: 't1' }, { isGitRepo: true });
    const r = await run('codex', req, { FAKE_SCRIPT: script });
    expect(r).toMatchObject({ stdout: '', stderr: refusal, exit: { exitCode: 1, signal: null } });
    const c = getAdapter('codex').classify({ request: req, events: r.events, stderr: r.stderr, exit: r.exit });
    expect(c?.kind).toBe('untrusted_git_directory');
    expect(c?.remedy).toMatchObject({ action: 'relaunch', fix: { kind: 'skip-git-repo-check' } });
  });
});
