import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideHookInput, decideHookText, globLiteralPrefix } from '../../src/safety/guard.js';
import type { GuardOptions } from '../../src/safety/guard.js';

const repo = join(import.meta.dirname, '..', '..');
const cli = join(repo, 'dist', 'bin', 'cli.js');

let base: string;
let root: string;
let outside: string;

beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'guard-')));
  root = join(base, 'project');
  outside = join(base, 'outside');
  mkdirSync(join(root, 'src'), { recursive: true });
  mkdirSync(join(root, '.git', 'hooks'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(root, 'src', 'index.ts'), 'export {};\n');
  writeFileSync(join(outside, 'secret.txt'), 'secret\n');
  symlinkSync(outside, join(root, 'escape')); // a directory symlink inside the root pointing out
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

/**
 * Modelled on the documented PreToolUse input
 * (https://code.claude.com/docs/en/hooks#pretooluse-input): common fields + tool_name, tool_input, tool_use_id.
 */
const claude = (tool_name: string, tool_input: Record<string, unknown>) => ({
  session_id: 'abc123',
  transcript_path: '/home/user/.claude/projects/-project/00893aaf-19fa-41d2-8238-13269b9b3ca0.jsonl',
  cwd: root,
  permission_mode: 'bypassPermissions',
  hook_event_name: 'PreToolUse',
  tool_name,
  tool_input,
  tool_use_id: 'toolu_01ABC123',
});

/**
 * Modelled on the documented BeforeTool input (https://geminicli.com/docs/hooks/reference, "Base
 * input schema" + "BeforeTool"): session_id, transcript_path, cwd, hook_event_name, timestamp,
 * tool_name, tool_input.
 */
const gemini = (tool_name: string, tool_input: Record<string, unknown>) => ({
  session_id: 'c9f556b8-3d63-4c72-aa5c-95222f9014dd',
  transcript_path: '/home/user/.gemini/tmp/project/chats/session-2026-11-23T22-32-c9f556b8.json',
  cwd: root,
  hook_event_name: 'BeforeTool',
  timestamp: '2026-11-23T22:32:04.624Z',
  tool_name,
  tool_input,
});

const opts = (): GuardOptions => ({ allowedRoots: [root] });

describe('decideHookInput: Claude Code PreToolUse', () => {
  it('denies rm -rf / with exit 2 and the reason on stderr', () => {
    const r = decideHookInput(claude('Bash', { command: 'rm -rf /', description: 'clean up' }), opts());
    expect(r).toMatchObject({ exitCode: 2, stdout: '', decision: 'deny', format: 'claude' });
    expect(r.stderr).toMatch(/^orchestrate guard denied Bash: .+/);
    expect(r.findings.some((f) => f.source === 'command' && f.class === 'blocked')).toBe(true);
  });

  it('allows ls with exit 0 and no output', () => {
    expect(decideHookInput(claude('Bash', { command: 'ls -la' }), opts())).toMatchObject({ exitCode: 0, stdout: '', stderr: '', decision: 'allow' });
  });

  it('asks for git push with the documented permissionDecision JSON (or denies when told to)', () => {
    const r = decideHookInput(claude('Bash', { command: 'git push origin main' }), opts());
    expect(r).toMatchObject({ exitCode: 0, stderr: '', decision: 'ask' });
    const out = JSON.parse(r.stdout) as { hookSpecificOutput: Record<string, string> };
    expect(out.hookSpecificOutput).toMatchObject({ hookEventName: 'PreToolUse', permissionDecision: 'ask' });
    expect(out.hookSpecificOutput.permissionDecisionReason).toMatch(/needs confirmation/);
    const denied = decideHookInput(claude('Bash', { command: 'git push origin main' }), { ...opts(), claudeConfirm: 'deny' });
    expect(denied).toMatchObject({ exitCode: 2, stdout: '', decision: 'deny' });
    expect(denied.stderr).toMatch(/needs confirmation and there is no one to confirm it/);
  });

  it('includes monitor findings in what it says', () => {
    const r = decideHookInput(claude('Bash', { command: 'sudo ls' }), opts());
    expect(r.findings.some((f) => f.class === 'monitor')).toBe(true);
    expect(r.stdout + r.stderr).toMatch(/sudo/);
  });

  it('checks Write/Edit/MultiEdit/NotebookEdit paths for writing', () => {
    expect(decideHookInput(claude('Write', { file_path: join(root, 'src', 'new.ts'), content: 'x' }), opts()).decision).toBe('allow');
    const out = decideHookInput(claude('Write', { file_path: join(outside, 'x.txt'), content: 'x' }), opts());
    expect(out).toMatchObject({ exitCode: 2, decision: 'deny' });
    expect(out.stderr).toMatch(/outside the allowed roots/);
    expect(decideHookInput(claude('Edit', { file_path: join(root, '.git', 'hooks', 'pre-commit'), old_string: 'a', new_string: 'b' }), opts()).decision).toBe('deny');
    expect(decideHookInput(claude('MultiEdit', { file_path: join(root, 'escape', 'secret.txt'), edits: [] }), opts()).decision).toBe('deny');
    expect(decideHookInput(claude('NotebookEdit', { notebook_path: join(outside, 'n.ipynb'), new_source: '' }), opts()).decision).toBe('deny');
  });

  it('checks Read/Glob/Grep paths for reading', () => {
    expect(decideHookInput(claude('Read', { file_path: join(root, 'src', 'index.ts') }), opts()).decision).toBe('allow');
    expect(decideHookInput(claude('Read', { file_path: join(outside, 'secret.txt') }), opts()).decision).toBe('deny');
    expect(decideHookInput(claude('Glob', { pattern: 'src/**/*.ts' }), opts()).decision).toBe('allow');
    expect(decideHookInput(claude('Glob', { pattern: '**/*.txt', path: outside }), opts()).decision).toBe('deny');
    expect(decideHookInput(claude('Glob', { pattern: `${outside}/**` }), opts()).decision).toBe('deny');
    expect(decideHookInput(claude('Glob', { pattern: 'src/*/../../../outside/*' }), opts()).decision).toBe('deny');
    expect(decideHookInput(claude('Grep', { pattern: 'TODO' }), opts()).decision).toBe('allow');
    expect(decideHookInput(claude('Grep', { pattern: 'TODO', path: '/etc' }), opts()).decision).toBe('deny');
  });

  it('allows tools that are neither file nor command tools, MCP tools included', () => {
    expect(decideHookInput(claude('WebFetch', { url: 'https://example.com', prompt: 'x' }), opts()).decision).toBe('allow');
    expect(decideHookInput(claude('mcp__github__create_issue', { title: 'x' }), opts()).decision).toBe('allow');
    expect(decideHookInput(claude('mcp__orchestrate__report_progress', { message: 'x' }), opts()).decision).toBe('allow');
  });

  it('fails closed when a checked tool lacks its argument', () => {
    const r = decideHookInput(claude('Bash', {}), opts());
    expect(r).toMatchObject({ exitCode: 2, decision: 'deny' });
    expect(r.stderr).toMatch(/cannot check Bash: "command" is missing/);
    expect(decideHookInput(claude('Write', { file_path: 42 }), opts()).decision).toBe('deny');
  });
});

describe('decideHookInput: Gemini CLI BeforeTool', () => {
  it('denies rm -rf / and allows ls', () => {
    const r = decideHookInput(gemini('run_shell_command', { command: 'rm -rf /', description: 'x' }), opts());
    expect(r).toMatchObject({ exitCode: 2, stdout: '', decision: 'deny', format: 'gemini' });
    expect(decideHookInput(gemini('run_shell_command', { command: 'ls' }), opts())).toMatchObject({ exitCode: 0, stdout: '', stderr: '', decision: 'allow' });
  });

  it('denies git push (Gemini hooks have no "ask") with a reason that says confirmation is needed', () => {
    const r = decideHookInput(gemini('run_shell_command', { command: 'git push' }), opts());
    expect(r).toMatchObject({ exitCode: 2, stdout: '', decision: 'deny' });
    expect(r.stderr).toMatch(/needs confirmation/);
  });

  it('checks write_file/replace for writing and the read tools for reading', () => {
    expect(decideHookInput(gemini('write_file', { file_path: join(root, 'escape', 'pwned.txt'), content: 'x' }), opts()).decision).toBe('deny');
    expect(decideHookInput(gemini('write_file', { file_path: join(root, 'ok.txt'), content: 'x' }), opts()).decision).toBe('allow');
    expect(decideHookInput(gemini('replace', { file_path: join(root, '.git', 'config'), old_string: 'a', new_string: 'b' }), opts()).decision).toBe('deny');
    expect(decideHookInput(gemini('read_file', { file_path: 'src/index.ts' }), opts()).decision).toBe('allow');
    expect(decideHookInput(gemini('read_file', { file_path: join(outside, 'secret.txt') }), opts()).decision).toBe('deny');
    expect(decideHookInput(gemini('list_directory', { dir_path: outside }), opts()).decision).toBe('deny');
    expect(decideHookInput(gemini('glob', { pattern: '**/*.ts' }), opts()).decision).toBe('allow');
    expect(decideHookInput(gemini('grep_search', { pattern: 'x', dir_path: '..' }), opts()).decision).toBe('deny');
    expect(decideHookInput(gemini('search_file_content', { pattern: 'x' }), opts()).decision).toBe('allow');
    expect(decideHookInput(gemini('read_many_files', { include: ['src/**/*.ts'] }), opts()).decision).toBe('allow');
    expect(decideHookInput(gemini('read_many_files', { include: ['src/**', '../outside/*.txt'] }), opts()).decision).toBe('deny');
  });

  it('checks the directory a shell command runs in', () => {
    expect(decideHookInput(gemini('run_shell_command', { command: 'ls', dir_path: outside }), opts()).decision).toBe('deny');
  });
});

describe('decideHookInput: fail closed', () => {
  it('denies garbage, unknown shapes and shapes with missing fields', () => {
    for (const raw of [null, 'rm -rf /', [], {}, { tool_name: 'Bash', tool_input: { command: 'ls' } }, { hook_event_name: 'PreToolUse', tool_name: 'Bash' }]) {
      const r = decideHookInput(raw, opts());
      expect(r, JSON.stringify(raw)).toMatchObject({ exitCode: 2, decision: 'deny' });
      expect(r.stderr).toMatch(/denied to be safe/);
    }
    expect(decideHookText('{not json', opts())).toMatchObject({ exitCode: 2, decision: 'deny' });
    expect(decideHookText('', opts()).stderr).toMatch(/not valid JSON/);
  });

  it('turns an internal error into a denial', () => {
    const broken = { allowedRoots: null } as unknown as GuardOptions;
    const r = decideHookInput(claude('Write', { file_path: join(root, 'x'), content: '' }), broken);
    expect(r).toMatchObject({ exitCode: 2, decision: 'deny' });
    expect(r.stderr).toMatch(/internal error/);
  });

  it('lets events that are not tool calls pass', () => {
    expect(decideHookInput({ ...claude('Bash', { command: 'rm -rf /' }), hook_event_name: 'PostToolUse' }, opts())).toMatchObject({ exitCode: 0, decision: 'allow' });
  });
});

describe('globLiteralPrefix', () => {
  it('keeps the components before the first glob character', () => {
    expect(globLiteralPrefix('src/**/*.ts')).toEqual({ path: 'src' });
    expect(globLiteralPrefix('/etc/*.conf')).toEqual({ path: '/etc' });
    expect(globLiteralPrefix('*.md')).toEqual({ path: '.' });
    expect(globLiteralPrefix('/**')).toEqual({ path: '/' });
    expect(globLiteralPrefix('a/*/../../b')).toHaveProperty('problem');
  });
});

describe('orchestrate guard (built CLI)', () => {

  const guard = (input: unknown, ...args: string[]) =>
    spawnSync(process.execPath, [cli, 'guard', ...args], {
      input: typeof input === 'string' ? input : JSON.stringify(input),
      encoding: 'utf8',
      cwd: root,
    });
  const inRoot = () => ['--allow-root', root];

  it('denies rm -rf / from Claude with exit 2 and a reason', () => {
    const r = guard(claude('Bash', { command: 'rm -rf /' }), ...inRoot());
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/orchestrate guard denied Bash: ./);
  });

  it('allows ls with exit 0 and no output', () => {
    const r = guard(claude('Bash', { command: 'ls' }), ...inRoot());
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
  });

  it('denies a Write outside the root', () => {
    const r = guard(claude('Write', { file_path: join(outside, 'x.txt'), content: 'x' }), ...inRoot());
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/outside the allowed roots/);
  });

  it('answers git push with Claude "ask" JSON and a Gemini denial', () => {
    const c = guard(claude('Bash', { command: 'git push' }), ...inRoot());
    expect(c.status).toBe(0);
    expect(JSON.parse(c.stdout)).toMatchObject({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'ask' } });
    const cDeny = guard(claude('Bash', { command: 'git push' }), ...inRoot(), '--confirm-as', 'deny');
    expect(cDeny.status).toBe(2);
    const g = guard(gemini('run_shell_command', { command: 'git push' }), ...inRoot());
    expect(g.status).toBe(2);
    expect(g.stdout).toBe('');
    expect(g.stderr).toMatch(/needs confirmation/);
  });

  it('fails closed on garbage stdin, empty stdin, a missing root and a bad config', () => {
    expect(guard('this is not json', ...inRoot()).status).toBe(2);
    expect(guard('', ...inRoot()).status).toBe(2);
    const noRoot = guard(claude('Bash', { command: 'ls' }));
    expect(noRoot.status).toBe(2);
    expect(noRoot.stderr).toMatch(/no allowed roots/);
    const badConfig = guard(claude('Bash', { command: 'ls' }), ...inRoot(), '--config', join(base, 'missing.json'));
    expect(badConfig.status).toBe(2);
    expect(badConfig.stderr).toMatch(/configuration could not be loaded/);
  });

  it('takes allowed roots from --config', () => {
    const config = join(base, 'orchestrate.config.json');
    writeFileSync(config, JSON.stringify({ safety: { allowedRoots: [root] } }));
    expect(guard(claude('Read', { file_path: join(root, 'src', 'index.ts') }), '--config', config).status).toBe(0);
    expect(guard(claude('Read', { file_path: join(outside, 'secret.txt') }), '--config', config).status).toBe(2);
  });

  it('denies a symlink escape through Gemini write_file', () => {
    const r = guard(gemini('write_file', { file_path: join(root, 'escape', 'pwned.txt'), content: 'x' }), ...inRoot());
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/symbolic link/);
  });
});
