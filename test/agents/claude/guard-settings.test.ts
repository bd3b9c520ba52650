import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCommand, GUARDED_TOOLS } from '../../../src/agents/claude/command.js';
import { shellQuote } from '../../../src/agents/common/shell-quote.js';
import type { LaunchRequest } from '../../../src/agents/types.js';
import { tempDir } from '../../helpers/fake-agents.js';

const root = join(import.meta.dirname, '..', '..', '..');
const cli = join(root, 'dist', 'bin', 'cli.js');

interface HookSettings {
  hooks: { PreToolUse: { matcher: string; hooks: { type: string; command: string }[] }[] };
}

function settingsOf(request: LaunchRequest): HookSettings {
  const args = buildCommand(request).args;
  return JSON.parse(args[args.indexOf('--settings') + 1] ?? '{}') as HookSettings;
}

describe('the guard as Claude Code PreToolUse hook', () => {

  const target = tempDir("orch guard's target ");
  const request: LaunchRequest = {
    role: 'implementer',
    mode: 'work',
    prompt: 'work',
    cwd: target,
    workspace: target,
    extraDirs: [],
    guard: { command: process.execPath, args: [cli, 'guard', '--allow-root', target, '--confirm-as', 'deny'] },
  };

  it('is installed through --settings with hook events in the stream', () => {
    const args = buildCommand(request).args;
    expect(args).toContain('--include-hook-events');
    const settings = settingsOf(request);
    expect(settings.hooks.PreToolUse[0]?.matcher).toBe(GUARDED_TOOLS);
    expect(buildCommand({ ...request, guard: undefined }).args).not.toContain('--settings');
    // The prompt still comes last, after `--`.
    expect(args.slice(-2)).toEqual(['--', 'work']);
  });

  it('quotes the command line so a path with spaces and quotes survives the shell', () => {
    expect(shellQuote("it's here")).toBe(`'it'\\''s here'`);
    expect(shellQuote('/usr/bin/node')).toBe('/usr/bin/node');
  });

  const hook = (toolName: string, toolInput: Record<string, unknown>) => {
    const command = settingsOf(request).hooks.PreToolUse[0]?.hooks[0]?.command ?? '';
    const input = JSON.stringify({ session_id: 's', transcript_path: '/dev/null', cwd: target, permission_mode: 'bypassPermissions', hook_event_name: 'PreToolUse', tool_name: toolName, tool_input: toolInput });
    return spawnSync('/bin/sh', ['-c', command], { input, encoding: 'utf8' });
  };

  it('the installed command refuses rm -rf / and lets ls through, as Claude Code would run it', () => {
    const refused = hook('Bash', { command: 'ls && rm -rf /' });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/recursive forced delete/);
    const allowed = hook('Bash', { command: 'ls -la' });
    expect(allowed.status).toBe(0);
    expect(allowed.stdout).toBe('');
  });

  it('refuses a write outside the target and a git push (no one to confirm with)', () => {
    expect(hook('Write', { file_path: '/etc/orch-test', content: 'x' }).status).toBe(2);
    const push = hook('Bash', { command: 'git push origin main' });
    expect(push.status).toBe(2);
    expect(push.stderr).toMatch(/confirm/i);
  });
});

describe('refusals in the stream', () => {
  it('turns a PreToolUse hook that exited 2 into a policy finding', async () => {
    const { claudeAdapter } = await import('../../../src/agents/claude/adapter.js');
    const line = JSON.stringify({
      type: 'system',
      subtype: 'hook_response',
      hook_id: 'h',
      hook_name: 'PreToolUse:Bash',
      hook_event: 'PreToolUse',
      output: '',
      stdout: '',
      stderr: 'orchestrate guard: blocked: recursive forced delete (rm -rf /)',
      exit_code: 2,
      outcome: 'error',
      uuid: 'u',
      session_id: 's',
    });
    const { events } = claudeAdapter.translate(line, claudeAdapter.initialState());
    expect(events).toHaveLength(1);
    expect(events[0]?.type).toBe('finding');
    expect(events[0]?.payload.kind).toBe('policy.refused');
    expect(events[0]?.payload.text).toMatch(/recursive forced delete/);
  });
});
