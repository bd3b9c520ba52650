import { describe, expect, it } from 'vitest';
import { buildCommand, MAX_ARGV_PROMPT } from '../../../src/agents/claude/command.js';
import type { LaunchRequest } from '../../../src/agents/types.js';
import { loadTranscript } from '../../helpers/transcripts.js';

const base: LaunchRequest = {
  role: 'implementer',
  mode: 'work',
  prompt: 'Implement the task',
  cwd: '/repo',
  workspace: '/ws',
  extraDirs: ['/ws'],
};

const EMPTY_MCP = '{"mcpServers":{}}';
const REVIEW_ARGS = [
  '--permission-mode',
  'dontAsk',
  '--allowedTools',
  'Read',
  'Grep',
  'Glob',
  'Bash(git diff:*)',
  'Bash(git log:*)',
  'Bash(git show:*)',
  'Bash(git status:*)',
];

describe('claude buildCommand: argv per mode', () => {
  it('work mode bypasses permissions and ends with -- <prompt>', () => {
    const spec = buildCommand(base);
    expect(spec.command).toBe('claude');
    expect(spec.cwd).toBe('/repo');
    expect(spec.files).toEqual([]);
    expect(spec.input).toBeUndefined();
    expect(spec.args).toEqual([
      '-p',
      '--output-format',
      'stream-json',
      '--verbose',
      '--dangerously-skip-permissions',
      '--strict-mcp-config',
      '--mcp-config',
      EMPTY_MCP,
      '--add-dir',
      '/ws',
      '--',
      'Implement the task',
    ]);
  });

  it.each(['review', 'read-only'] as const)('%s mode uses dontAsk with read-only tools and no bypass', (mode) => {
    const spec = buildCommand({ ...base, role: 'reviewer', mode, prompt: 'Review it' });
    expect(spec.args).toEqual([
      '-p',
      '--output-format',
      'stream-json',
      '--verbose',
      ...REVIEW_ARGS,
      '--strict-mcp-config',
      '--mcp-config',
      EMPTY_MCP,
      '--add-dir',
      '/ws',
      '--',
      'Review it',
    ]);
    expect(spec.args).not.toContain('--dangerously-skip-permissions');
    expect(spec.env.IS_SANDBOX).toBeUndefined();
  });

  it('review mode also allows the orchestrator MCP server and the structured answer tool when used', () => {
    const spec = buildCommand({
      ...base,
      mode: 'review',
      outputSchema: { type: 'object' },
      mcpServers: { orchestrate: { command: 'node', args: ['mcp.js'] } },
    });
    const start = spec.args.indexOf('--allowedTools') + 1;
    const end = spec.args.indexOf('--strict-mcp-config');
    expect(spec.args.slice(start, end)).toEqual([...REVIEW_ARGS.slice(3), 'mcp__orchestrate', 'StructuredOutput']);
  });

  it('uses the configured binary', () => {
    expect(buildCommand({ ...base, command: '/opt/claude/bin/claude' }).command).toBe('/opt/claude/bin/claude');
  });

  it('passes MCP servers as a strict inline config', () => {
    const spec = buildCommand({
      ...base,
      mcpServers: { orchestrate: { command: 'node', args: ['/o/mcp.js', '--session', 's1'], env: { A: '1' } } },
    });
    const json = spec.args[spec.args.indexOf('--mcp-config') + 1] ?? '';
    expect(JSON.parse(json)).toEqual({
      mcpServers: { orchestrate: { type: 'stdio', command: 'node', args: ['/o/mcp.js', '--session', 's1'], env: { A: '1' } } },
    });
    expect(spec.args).toContain('--strict-mcp-config');
  });

  it('adds the output schema, extra dirs and extra args before --', () => {
    const schema = { type: 'object', properties: { verdict: { type: 'string' } } };
    const spec = buildCommand({
      ...base,
      extraDirs: ['/ws', '/orch'],
      outputSchema: schema,
      extraArgs: ['--model', 'claude-opus-4-8'],
    });
    expect(spec.args.slice(-9)).toEqual([
      '--add-dir',
      '/ws',
      '/orch',
      '--json-schema',
      JSON.stringify(schema),
      '--model',
      'claude-opus-4-8',
      '--',
      'Implement the task',
    ]);
  });

  it('omits --add-dir when there is nothing to add', () => {
    expect(buildCommand({ ...base, extraDirs: [] }).args).not.toContain('--add-dir');
  });
});

describe('claude buildCommand: prompt safety', () => {
  it.each(['--add-dir /etc', '-x', '--', '--dangerously-skip-permissions', '-p'])(
    'prompt %j stays the prompt, after -- and after every variadic flag',
    (prompt) => {
      const spec = buildCommand({ ...base, mode: 'review', prompt, extraDirs: ['/a', '/b'] });
      const sep = spec.args.length - 2;
      expect(spec.args.slice(sep)).toEqual(['--', prompt]);
      expect(spec.args.indexOf('--')).toBe(sep);
      for (const flag of ['--add-dir', '--mcp-config', '--allowedTools']) expect(spec.args.indexOf(flag)).toBeLessThan(sep);
      expect(spec.input).toBeUndefined();
    },
  );

  it('a prompt of exactly the limit still goes in argv', () => {
    const prompt = 'x'.repeat(MAX_ARGV_PROMPT);
    const spec = buildCommand({ ...base, prompt });
    expect(spec.args.at(-1)).toBe(prompt);
    expect(spec.input).toBeUndefined();
  });

  it('a longer prompt goes on stdin with no positional prompt', () => {
    const prompt = `-${'y'.repeat(MAX_ARGV_PROMPT)}`;
    const spec = buildCommand({ ...base, prompt });
    expect(spec.input).toBe(prompt);
    expect(spec.args).not.toContain(prompt);
    expect(spec.args).not.toContain('--');
    expect(spec.args.at(-1)).toBe('/ws');
  });
});

describe('claude buildCommand: env', () => {
  it('sets the quiet defaults and nothing else for a plain work run', () => {
    expect(buildCommand(base).env).toEqual({
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
    });
  });

  it('sets IS_SANDBOX=1 in work mode as root, not in review mode', () => {
    expect(buildCommand({ ...base, runningAsRoot: true }).env.IS_SANDBOX).toBe('1');
    expect(buildCommand({ ...base, mode: 'review', runningAsRoot: true }).env.IS_SANDBOX).toBeUndefined();
  });

  it('sets HOME from request.home', () => {
    expect(buildCommand({ ...base, home: '/h/claude' }).env.HOME).toBe('/h/claude');
  });

  it('lets request.env win over every default', () => {
    const env = buildCommand({
      ...base,
      home: '/h/claude',
      runningAsRoot: true,
      env: { HOME: '/mine', DISABLE_TELEMETRY: '0', IS_SANDBOX: 'yes', ANTHROPIC_API_KEY: 'k' },
    }).env;
    expect(env).toMatchObject({ HOME: '/mine', DISABLE_TELEMETRY: '0', IS_SANDBOX: 'yes', ANTHROPIC_API_KEY: 'k' });
    expect(env.DISABLE_AUTOUPDATER).toBe('1');
  });
});

describe('claude buildCommand: fixes and sessions', () => {
  it('applies the add-dir fix after the extra dirs, without duplicates', () => {
    const spec = buildCommand({
      ...base,
      fixes: [
        { kind: 'add-dir', dirs: ['/var/tmp/mock-outside', '/ws'] },
        { kind: 'add-dir', dirs: ['/srv/data'] },
      ],
    });
    const i = spec.args.indexOf('--add-dir');
    expect(spec.args.slice(i, i + 4)).toEqual(['--add-dir', '/ws', '/var/tmp/mock-outside', '/srv/data']);
    expect(spec.args.lastIndexOf('--')).toBe(i + 4);
  });

  it('applies the is-sandbox-env fix in work mode', () => {
    expect(buildCommand({ ...base, fixes: [{ kind: 'is-sandbox-env' }] }).env.IS_SANDBOX).toBe('1');
  });

  it('ignores fixes meant for other CLIs', () => {
    const fixed = buildCommand({
      ...base,
      fixes: [{ kind: 'skip-trust' }, { kind: 'skip-git-repo-check' }, { kind: 'include-directories', dirs: ['/x'] }],
    });
    expect(fixed).toEqual(buildCommand(base));
  });

  it('presets the session id', () => {
    const args = buildCommand({ ...base, presetSessionId: 'abc' }).args;
    expect(args.slice(args.indexOf('--session-id'), args.indexOf('--session-id') + 2)).toEqual(['--session-id', 'abc']);
  });

  it('resumes a session, which wins over a preset id', () => {
    const args = buildCommand({ ...base, resumeSessionId: 'old', presetSessionId: 'new' }).args;
    expect(args.slice(args.indexOf('--resume'), args.indexOf('--resume') + 2)).toEqual(['--resume', 'old']);
    expect(args).not.toContain('--session-id');
  });
});

describe('claude buildCommand matches the recorded argv', () => {
  /** Recorded runs put the prompt right after -p; ours moves it after `--` at the end. */
  function compare(scenario: string, extra: Partial<LaunchRequest>): void {
    const meta = loadTranscript('claude', scenario).meta;
    const [binary, print, prompt, ...rest] = meta.argv;
    const extraDir = rest[rest.indexOf('--add-dir') + 1] ?? '';
    const spec = buildCommand({ ...base, prompt: prompt ?? '', cwd: meta.cwd, extraDirs: [extraDir], ...extra });
    expect(spec.command).toBe(binary);
    expect(spec.args).toEqual([print, ...rest, '--', prompt]);
  }

  it('text', () => compare('text', {}));
  it('tool', () => compare('tool', {}));
  it('schema', () => {
    const argv = loadTranscript('claude', 'schema').meta.argv;
    const schema = JSON.parse(argv[argv.indexOf('--json-schema') + 1] ?? '{}') as Record<string, unknown>;
    compare('schema', { outputSchema: schema });
  });
  it('drops the $schema key, which makes Claude Code leave out its StructuredOutput tool', () => {
    const schema = { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { a: { type: 'string' } } };
    const spec = buildCommand({ ...base, prompt: 'p', cwd: '/repo', extraDirs: [], outputSchema: schema });
    const passed = JSON.parse(spec.args[spec.args.indexOf('--json-schema') + 1] ?? '{}') as Record<string, unknown>;
    expect(passed).toEqual({ type: 'object', properties: { a: { type: 'string' } } });
  });
  it('resume-1 (--session-id)', () => compare('resume-1', { presetSessionId: '0c1a0de0-0000-4000-8000-00000000c1a0' }));
  it('resume-2 (--resume)', () => compare('resume-2', { resumeSessionId: '0c1a0de0-0000-4000-8000-00000000c1a0' }));
});
