import { describe, expect, it } from 'vitest';
import { buildCommand, MAX_ARGV_PROMPT, STDIN_PROMPT } from '../../../src/agents/gemini/command.js';
import type { LaunchRequest } from '../../../src/agents/types.js';
import { loadTranscript } from '../../helpers/transcripts.js';

const base: LaunchRequest = {
  role: 'implementer',
  mode: 'work',
  prompt: 'Do the task',
  cwd: '/repo',
  workspace: '/ws',
  extraDirs: ['/ws', '/orch'],
};

const settingsOf = (spec: ReturnType<typeof buildCommand>): Record<string, unknown> => {
  const file = spec.files.find((f) => f.path.endsWith('/.gemini/settings.json'));
  return JSON.parse(file?.content ?? '{}') as Record<string, unknown>;
};

describe('gemini buildCommand', () => {
  it('work mode: yolo, skip-trust, stream-json, include dirs, prompt last', () => {
    const spec = buildCommand(base);
    expect(spec.command).toBe('gemini');
    expect(spec.cwd).toBe('/repo');
    expect(spec.args).toEqual([
      '--output-format', 'stream-json', '--skip-trust', '--yolo',
      '--include-directories', '/ws', '--include-directories', '/orch',
      '--prompt=Do the task',
    ]);
    expect(spec.input).toBeUndefined();
    expect(spec.env).toEqual({});
    expect(spec.files).toEqual([]);
  });

  it.each(['review', 'read-only'] as const)('%s mode: plan approval mode, never yolo', (mode) => {
    const spec = buildCommand({ ...base, role: 'reviewer', mode, extraDirs: [] });
    expect(spec.args).toEqual(['--output-format', 'stream-json', '--skip-trust', '--approval-mode', 'plan', '--prompt=Do the task']);
  });

  it.each(['--add-dir /etc', '-x', '-y', '--include-directories /'])('keeps the prompt %j a prompt', (prompt) => {
    const spec = buildCommand({ ...base, prompt });
    expect(spec.args.at(-1)).toBe(`--prompt=${prompt}`);
    expect(spec.args.filter((a) => a === prompt)).toEqual([]);
    expect(spec.args.filter((a) => a.startsWith('--prompt'))).toHaveLength(1);
  });

  it('sends a long prompt on stdin with a short --prompt pointing at it', () => {
    const prompt = 'x'.repeat(MAX_ARGV_PROMPT + 1);
    const spec = buildCommand({ ...base, prompt });
    expect(spec.input).toBe(prompt);
    expect(spec.args.at(-1)).toBe(`--prompt=${STDIN_PROMPT}`);
    expect(spec.args.join(' ').length).toBeLessThan(1000);
    expect(buildCommand({ ...base, prompt: 'x'.repeat(MAX_ARGV_PROMPT) }).input).toBeUndefined();
  });

  it('appends the output schema to the prompt (Gemini has no schema flag)', () => {
    const schema = { type: 'object', properties: { verdict: { type: 'string' } }, required: ['verdict'] };
    const spec = buildCommand({ ...base, mode: 'review', outputSchema: schema });
    const prompt = spec.args.at(-1) ?? '';
    expect(prompt.startsWith('--prompt=Do the task\n')).toBe(true);
    expect(prompt).toContain('exactly one JSON object');
    expect(prompt).toContain(JSON.stringify(schema));
    expect(spec.args.some((a) => a.includes('schema') && !a.startsWith('--prompt='))).toBe(false);
  });

  it('home: HOME, GEMINI_CLI_HOME and its settings file: defaults under what is there, nothing else', () => {
    const spec = buildCommand({ ...base, home: '/h' });
    expect(spec.env).toEqual({ HOME: '/h', GEMINI_CLI_HOME: '/h' });
    expect(spec.files.map((f) => f.path)).toEqual(['/h/.gemini/settings.json']);
    const [file] = spec.files;
    expect(file?.mergeJsonFrom).toBe('/h/.gemini/settings.json');
    expect(file?.jsonDefaults).toEqual({
      general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
      privacy: { usageStatisticsEnabled: false },
      telemetry: { enabled: false },
    });
    expect(settingsOf(spec)).toEqual({});
  });

  it('no home and nothing to install: the user\'s own Gemini setup is left alone', () => {
    const spec = buildCommand({ ...base });
    expect(spec.files).toEqual([]);
    expect(spec.env).toEqual({});
  });

  it('settings: selectedType with a base URL (a default), mcpServers in Gemini format (enforced)', () => {
    const spec = buildCommand({
      ...base,
      home: '/h',
      env: { GOOGLE_GEMINI_BASE_URL: 'http://127.0.0.1:1', GEMINI_API_KEY: 'k' },
      mcpServers: { orchestrate: { command: 'node', args: ['mcp.js'], env: { A: '1' } }, other: { command: 'x', args: [] } },
    });
    expect(spec.files[0]?.jsonDefaults?.security).toEqual({ auth: { selectedType: 'gemini-api-key' } });
    expect(settingsOf(spec).mcpServers).toEqual({
      orchestrate: { command: 'node', args: ['mcp.js'], env: { A: '1' } },
      other: { command: 'x', args: [] },
    });
  });

  it('the guard without a configured home: a Gemini home in the workspace that borrows the user\'s settings and sign-in', () => {
    const spec = buildCommand({
      ...base,
      env: { HOME: '/home/u' },
      guard: { command: '/usr/bin/node', args: ['/o/cli.js', 'guard', '--allow-root', '/repo'] },
      fixes: [{ kind: 'include-directories', dirs: ['/data'] }],
    });
    expect(spec.env).toEqual({ HOME: '/home/u', GEMINI_CLI_HOME: '/ws/gemini-home' });
    const [settings, ...links] = spec.files;
    expect(settings?.path).toBe('/ws/gemini-home/.gemini/settings.json');
    expect(settings?.mergeJsonFrom).toBe('/home/u/.gemini/settings.json');
    expect(links.map((l) => [l.path, l.linkTo])).toContainEqual(['/ws/gemini-home/.gemini/oauth_creds.json', '/home/u/.gemini/oauth_creds.json']);
    const hooks = settingsOf(spec).hooks as { BeforeTool: { matcher: string; hooks: { command: string }[] }[] };
    const [entry] = hooks.BeforeTool;
    expect(entry?.matcher.split('|')).toEqual(expect.arrayContaining(['run_shell_command', 'write_file', 'replace', 'read_file']));
    // A directory a recovery added is allowed by the guard too, or the relaunch would still be refused.
    expect(entry?.hooks[0]?.command).toBe('/usr/bin/node /o/cli.js guard --allow-root /repo --allow-root /data');
  });

  it('env: request.env wins over adapter defaults', () => {
    const spec = buildCommand({ ...base, home: '/h', env: { HOME: '/mine', GEMINI_API_KEY: 'k' }, fixes: [{ kind: 'skip-trust' }] });
    expect(spec.env).toEqual({ HOME: '/mine', GEMINI_CLI_HOME: '/h', GEMINI_API_KEY: 'k', GEMINI_CLI_TRUST_WORKSPACE: 'true' });
    const userTrust = buildCommand({ ...base, env: { GEMINI_CLI_TRUST_WORKSPACE: 'false' }, fixes: [{ kind: 'skip-trust' }] });
    expect(userTrust.env.GEMINI_CLI_TRUST_WORKSPACE).toBe('false');
  });

  it('fixes: include-directories (deduplicated) and skip-trust', () => {
    const spec = buildCommand({
      ...base,
      fixes: [
        { kind: 'include-directories', dirs: ['/var/tmp/x', '/ws'] },
        { kind: 'include-directories', dirs: ['/var/tmp/x', '/srv'] },
        { kind: 'skip-trust' },
        { kind: 'add-dir', dirs: ['/ignored'] },
      ],
    });
    const dirs = spec.args.flatMap((a, i) => (spec.args[i - 1] === '--include-directories' ? [a] : []));
    expect(dirs).toEqual(['/ws', '/orch', '/var/tmp/x', '/srv']);
    expect(spec.args).not.toContain('/ignored');
    expect(spec.args.filter((a) => a === '--skip-trust')).toHaveLength(1);
    expect(spec.env.GEMINI_CLI_TRUST_WORKSPACE).toBe('true');
  });

  it('session forms: --session-id, --resume, and resume wins over a preset id', () => {
    expect(buildCommand({ ...base, presetSessionId: 'abc' }).args).toEqual(expect.arrayContaining(['--session-id', 'abc']));
    const resumed = buildCommand({ ...base, resumeSessionId: 'abc', presetSessionId: 'def' }).args;
    expect(resumed.slice(resumed.indexOf('--resume'), resumed.indexOf('--resume') + 2)).toEqual(['--resume', 'abc']);
    expect(resumed).not.toContain('--session-id');
  });

  it('extraArgs go before the prompt; a configured approval mode replaces --yolo in work mode only', () => {
    const spec = buildCommand({ ...base, extraDirs: [], extraArgs: ['-m', 'gemini-2.5-flash'], command: '/opt/gemini' });
    expect(spec.command).toBe('/opt/gemini');
    expect(spec.args.slice(-3)).toEqual(['-m', 'gemini-2.5-flash', '--prompt=Do the task']);
    const own = buildCommand({ ...base, extraArgs: ['--approval-mode=auto_edit'] }).args;
    expect(own).not.toContain('--yolo');
    const review = buildCommand({ ...base, mode: 'review', extraArgs: ['--yolo'] }).args;
    expect(review).toEqual(expect.arrayContaining(['--approval-mode', 'plan']));
  });

  /** The recorded runs used `-p PROMPT`; ours is `--prompt=PROMPT`, otherwise the same flags. */
  it.each([
    ['text', 'work'],
    ['tool', 'work'],
    ['outside-included', 'work'],
    ['resume-1', 'work'],
    ['resume-2', 'work'],
  ] as const)('matches the recorded argv of %s', (scenario, mode) => {
    const { meta } = loadTranscript('gemini', scenario);
    const recorded = meta.argv.slice(1);
    const valueOf = (flag: string): string | undefined => recorded[recorded.indexOf(flag) + 1];
    const spec = buildCommand({
      ...base,
      mode,
      cwd: meta.cwd,
      prompt: valueOf('-p') ?? '',
      extraDirs: recorded.flatMap((a, i) => (recorded[i - 1] === '--include-directories' ? [a] : [])),
      ...(recorded.includes('--session-id') ? { presetSessionId: valueOf('--session-id') } : {}),
      ...(recorded.includes('--resume') ? { resumeSessionId: valueOf('--resume') } : {}),
    });
    const ours = spec.args.flatMap((a) => (a.startsWith('--prompt=') ? ['-p', a.slice('--prompt='.length)] : [a]));
    expect([...ours].sort()).toEqual([...recorded].sort());
  });
});
