import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCommand, MAX_ARGV_PROMPT } from '../../../src/agents/codex/command.js';
import type { LaunchRequest } from '../../../src/agents/types.js';
import { loadTranscript } from '../../helpers/transcripts.js';

const base: LaunchRequest = {
  role: 'implementer',
  mode: 'work',
  prompt: 'Do it',
  cwd: '/repo',
  workspace: '/ws',
  extraDirs: [],
};
const defaults = ['-c', 'analytics.enabled=false', '-c', 'check_for_update_on_startup=false'];

describe('codex buildCommand', () => {
  it('work mode: its own workspace-write sandbox (network on), -C, defaults, prompt after --', () => {
    const spec = buildCommand(base);
    expect(spec.command).toBe('codex');
    expect(spec.args).toEqual(['exec', '--json', '-s', 'workspace-write', '-c', 'sandbox_workspace_write.network_access=true', '-C', '/repo', ...defaults, '--', 'Do it']);
    expect(spec.cwd).toBe('/repo');
    expect(spec.input).toBeUndefined();
    expect(spec.env).toEqual({});
    expect(spec.files).toEqual([]);
  });

  it('work mode with CODEX_HOME under the temp dir: full bypass (Codex cannot set up its sandbox helper there)', () => {
    const spec = buildCommand({ ...base, env: { CODEX_HOME: join(tmpdir(), 'codex-home') } });
    expect(spec.args.slice(0, 3)).toEqual(['exec', '--json', '--dangerously-bypass-approvals-and-sandbox']);
    expect(buildCommand({ ...base, home: join(tmpdir(), 'h') }).args).toContain('--dangerously-bypass-approvals-and-sandbox');
    expect(buildCommand({ ...base, home: '/srv/agents/codex' }).args).toContain('workspace-write');
  });

  it('review and read-only modes: read-only sandbox, no bypass', () => {
    for (const mode of ['review', 'read-only'] as const) {
      const spec = buildCommand({ ...base, role: 'reviewer', mode });
      expect(spec.args).toEqual(['exec', '--json', '-s', 'read-only', '-C', '/repo', ...defaults, '--', 'Do it']);
    }
  });

  it('outside git: --skip-git-repo-check from isGitRepo=false or from the fix', () => {
    const fromFlag = buildCommand({ ...base, mode: 'review', isGitRepo: false });
    expect(fromFlag.args.slice(0, 5)).toEqual(['exec', '--json', '-s', 'read-only', '--skip-git-repo-check']);
    const fromFix = buildCommand({ ...base, mode: 'review', fixes: [{ kind: 'skip-git-repo-check' }] });
    expect(fromFix.args).toContain('--skip-git-repo-check');
    expect(buildCommand({ ...base, mode: 'review', isGitRepo: true }).args).not.toContain('--skip-git-repo-check');
  });

  it('a prompt that looks like flags stays the prompt, after --', () => {
    for (const prompt of ['--add-dir /etc', '-x', 'resume', '--']) {
      const spec = buildCommand({ ...base, prompt, extraDirs: ['/extra'] });
      expect(spec.args.at(-1)).toBe(prompt);
      expect(spec.args.at(-2)).toBe('--');
      expect(spec.args.indexOf('--')).toBe(spec.args.length - 2);
    }
  });

  it('a prompt over 100 000 characters goes on stdin as "-"', () => {
    const long = 'x'.repeat(MAX_ARGV_PROMPT + 1);
    const spec = buildCommand({ ...base, prompt: long });
    expect(spec.args.slice(-2)).toEqual(['--', '-']);
    expect(spec.input).toBe(long);
    expect(spec.args.join(' ').length).toBeLessThan(1000);
    const exact = 'y'.repeat(MAX_ARGV_PROMPT);
    expect(buildCommand({ ...base, prompt: exact }).args.at(-1)).toBe(exact);
  });

  it('extra dirs and add-dir fixes: one --add-dir per directory, no duplicates', () => {
    const spec = buildCommand({ ...base, extraDirs: ['/a', '/b'], fixes: [{ kind: 'add-dir', dirs: ['/b', '/c'] }] });
    const dirs = spec.args.flatMap((a, i) => (a === '--add-dir' ? [spec.args[i + 1]] : []));
    expect(dirs).toEqual(['/a', '/b', '/c']);
  });

  it('extraArgs come before the prompt', () => {
    const spec = buildCommand({ ...base, extraArgs: ['-m', 'gpt-5.5'] });
    expect(spec.args.slice(-4)).toEqual(['-m', 'gpt-5.5', '--', 'Do it']);
  });

  it('output schema: --output-schema <workspace>/schemas/<role>-<mode>.schema.json, written as a launch file', () => {
    const schema = { type: 'object', properties: { verdict: { type: 'string' } } };
    const spec = buildCommand({ ...base, role: 'reviewer', mode: 'review', outputSchema: schema });
    const path = '/ws/schemas/reviewer-review.schema.json';
    expect(spec.args[spec.args.indexOf('--output-schema') + 1]).toBe(path);
    const file = spec.files.find((f) => f.path === path);
    expect(JSON.parse(file?.content ?? '')).toEqual(schema);
    expect(file?.ifMissing).toBeFalsy();
  });

  it('mcp servers become -c mcp_servers.<name>.* TOML overrides', () => {
    const spec = buildCommand({
      ...base,
      mcpServers: { orchestrate: { command: 'node', args: ['/opt/mcp.js', '--session', 'a "b"'], env: { TOKEN: 't' } } },
    });
    expect(spec.args).toContain('mcp_servers.orchestrate.command="node"');
    expect(spec.args).toContain('mcp_servers.orchestrate.args=["/opt/mcp.js","--session","a \\"b\\""]');
    expect(spec.args).toContain('mcp_servers.orchestrate.env.TOKEN="t"');
    const i = spec.args.indexOf('mcp_servers.orchestrate.command="node"');
    expect(spec.args[i - 1]).toBe('-c');
  });

  it('home: HOME and CODEX_HOME, a config.toml so CODEX_HOME exists; request.env wins', () => {
    const spec = buildCommand({ ...base, home: '/h', env: { MOCK_API_KEY: 'k', HOME: '/user-home' } });
    expect(spec.env).toEqual({ HOME: '/user-home', CODEX_HOME: '/h/.codex', MOCK_API_KEY: 'k' });
    expect(spec.files).toContainEqual(expect.objectContaining({ path: '/h/.codex/config.toml', ifMissing: true }));
  });

  it('resume: exec … resume -- <id> <prompt>, no -C, cwd is the target', () => {
    const spec = buildCommand({ ...base, mode: 'review', resumeSessionId: 'th-1', extraDirs: ['/x'], outputSchema: { type: 'object' } });
    expect(spec.args).not.toContain('-C');
    expect(spec.args.slice(-4)).toEqual(['resume', '--', 'th-1', 'Do it']);
    // exec-only options must precede the subcommand.
    const r = spec.args.indexOf('resume');
    for (const flag of ['-s', '--add-dir', '--output-schema']) expect(spec.args.indexOf(flag)).toBeLessThan(r);
    expect(spec.cwd).toBe('/repo');
    const long = buildCommand({ ...base, resumeSessionId: 'th-1', prompt: 'z'.repeat(MAX_ARGV_PROMPT + 5) });
    expect(long.args.slice(-4)).toEqual(['resume', '--', 'th-1', '-']);
  });

  it('a custom binary is used as the command', () => {
    expect(buildCommand({ ...base, command: '/opt/codex' }).command).toBe('/opt/codex');
  });
});

describe('codex buildCommand against the recorded argv', () => {
  // The recordings ran with HOME under the temp directory (/tmp then), where Codex's own sandbox
  // cannot work (bypass); a test run's temp directory may be another (test/global-temp.ts).
  const recBase: LaunchRequest = { ...base, home: join(tmpdir(), 'agent-rec', 'codex', 'home') };
  /** The mock provider lines were the recorder's own `-c` overrides: our extraArgs. */
  function recorded(scenario: string): { argv: string[]; provider: string[]; model: string[] } {
    const argv = loadTranscript('codex', scenario).meta.argv.slice(1);
    const provider = argv.flatMap((a, i) => (argv[i - 1] === '-c' && a.startsWith('model_provider') ? ['-c', a] : []));
    const m = argv.indexOf('-m');
    return { argv, provider, model: m >= 0 ? ['-m', argv[m + 1] ?? ''] : [] };
  }
  const tokens = (args: string[]): string[] => args.filter((a) => a !== '--').sort();

  it('text (work mode outside git) has the same tokens', () => {
    const { argv, provider } = recorded('text');
    const meta = loadTranscript('codex', 'text').meta;
    const spec = buildCommand({ ...recBase, prompt: 'Say hello', cwd: meta.cwd, isGitRepo: false, extraArgs: provider });
    expect(tokens(spec.args)).toEqual(tokens(argv));
  });

  it('sandbox-readonly (review mode outside git) has the same tokens', () => {
    const { argv, provider, model } = recorded('sandbox-readonly');
    const meta = loadTranscript('codex', 'sandbox-readonly').meta;
    const spec = buildCommand({ ...recBase, mode: 'review', prompt: 'Write outside', cwd: meta.cwd, isGitRepo: false, extraArgs: [...provider, ...model] });
    expect(tokens(spec.args)).toEqual(tokens(argv));
  });

  it('resume-2 has the same tokens (options moved before the subcommand)', () => {
    const { argv, provider } = recorded('resume-2');
    const meta = loadTranscript('codex', 'resume-2').meta;
    const spec = buildCommand({
      ...recBase,
      prompt: 'Second turn',
      cwd: meta.cwd,
      isGitRepo: false,
      resumeSessionId: '01a20a88-ca18-7b10-8dfd-e6dfb51ad884',
      extraArgs: provider,
    });
    expect(tokens(spec.args)).toEqual(tokens(argv));
  });

  it('schema: the same flags apart from the recorder-only -o file', () => {
    const { argv, provider } = recorded('schema');
    const spec = buildCommand({ ...recBase, prompt: 'Answer in JSON', isGitRepo: false, outputSchema: { type: 'object' }, extraArgs: provider });
    const flags = (args: string[]): string[] => args.filter((a) => a.startsWith('-') && a !== '--' && a !== '-o').sort();
    expect(flags(spec.args)).toEqual(flags(argv));
  });
});
