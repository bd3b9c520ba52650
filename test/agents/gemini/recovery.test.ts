import { describe, expect, it } from 'vitest';
import { geminiAdapter } from '../../../src/agents/gemini/adapter.js';
import { classify } from '../../../src/agents/gemini/recovery.js';
import type { Classification, FailureEvidence, LaunchRequest } from '../../../src/agents/types.js';
import { draft } from '../../../src/agents/common/events.js';
import { exitOf, listScenarios, loadTranscript, translateTranscript } from '../../helpers/transcripts.js';

function request(scenario: string, extra: Partial<LaunchRequest> = {}): LaunchRequest {
  const { meta } = loadTranscript('gemini', scenario);
  return { role: 'implementer', mode: 'work', prompt: 'p', cwd: meta.cwd, workspace: '/ws', extraDirs: [], ...extra };
}

function evidenceOf(scenario: string, extra: Partial<LaunchRequest> = {}): FailureEvidence {
  const t = loadTranscript('gemini', scenario);
  return { request: request(scenario, extra), events: translateTranscript(geminiAdapter, t), stderr: t.stderr, exit: exitOf(t) };
}

const relaunched = (c: Classification | null): LaunchRequest => {
  if (c?.remedy.action !== 'relaunch') throw new Error(`expected a relaunch, got ${JSON.stringify(c)}`);
  return c.remedy.request;
};

const SUCCESSFUL = ['text', 'text-json', 'text-positional', 'think', 'tool', 'tool-json', 'multi', 'outside-included', 'resume-1', 'resume-2', 'trust-env', 'empty', 'max-turns'];

describe('gemini classify on the recorded transcripts', () => {
  it('covers every scenario in one of the expectations below', () => {
    const handled = [...SUCCESSFUL, 'outside', 'outside-json', 'untrusted', 'untrusted-json', 'no-auth', 'auth-gateway', 'auth-gateway-json',
      'error401', 'error401-json', 'error500', 'error500-json', 'error500-auto', 'permdenied'];
    expect(listScenarios('gemini').filter((s) => !handled.includes(s))).toEqual([]);
  });

  it.each(SUCCESSFUL)('%s: nothing to recover', (scenario) => {
    expect(classify(evidenceOf(scenario))).toBeNull();
  });

  it.each(['outside', 'outside-json'])('%s: relaunch with --include-directories /var/tmp/mock-outside', (scenario) => {
    const c = classify(evidenceOf(scenario, { extraDirs: ['/extra'] }));
    expect(c?.kind).toBe('path_outside_workspace');
    expect(c?.evidence).toContain('Path not in workspace: Attempted path "/var/tmp/mock-outside/outside.txt"');
    expect(c?.remedy).toMatchObject({ action: 'relaunch', fix: { kind: 'include-directories', dirs: ['/var/tmp/mock-outside'] }, change: '--include-directories /var/tmp/mock-outside' });
    const args = geminiAdapter.buildCommand(relaunched(c)).args;
    expect(args.join(' ')).toContain('--include-directories /extra --include-directories /var/tmp/mock-outside');
  });

  it('outside: escalates when the directory is already included (no relaunch loop)', () => {
    const first = relaunched(classify(evidenceOf('outside')));
    const again = classify({ ...evidenceOf('outside'), request: first });
    expect(again?.kind).toBe('path_outside_workspace');
    expect(again?.remedy.action).toBe('escalate');
  });

  it.each(['untrusted', 'untrusted-json'])('%s: relaunch with the skip-trust fix, then escalate', (scenario) => {
    const c = classify(evidenceOf(scenario));
    expect(c?.kind).toBe('untrusted_folder');
    expect(c?.evidence).toMatch(/^Gemini CLI is not running in a trusted directory\./);
    expect(c?.remedy).toMatchObject({ action: 'relaunch', fix: { kind: 'skip-trust' } });
    const spec = geminiAdapter.buildCommand(relaunched(c));
    expect(spec.args).toContain('--skip-trust');
    expect(spec.env.GEMINI_CLI_TRUST_WORKSPACE).toBe('true');
    const again = classify({ ...evidenceOf(scenario), request: relaunched(c) });
    expect(again?.remedy.action).toBe('escalate');
  });

  it.each(['no-auth', 'auth-gateway', 'auth-gateway-json'])('%s: auth, escalated with concrete suggestions', (scenario) => {
    const c = classify(evidenceOf(scenario, { home: '/h' }));
    expect(c?.kind).toBe('auth');
    expect(c?.evidence).toMatch(/Invalid auth method selected\.|Please set an Auth method/);
    if (c?.remedy.action !== 'escalate') throw new Error('expected escalate');
    expect(c.remedy.suggestions.join('\n')).toContain('"selectedType":"gemini-api-key"');
    expect(c.remedy.suggestions.join('\n')).toContain('/h/.gemini/settings.json');
    expect(c.remedy.suggestions.join('\n')).toContain('GEMINI_API_KEY');
  });

  it.each([
    ['error401', 'auth'],
    ['error401-json', 'auth'],
    ['error500', 'api_error'],
    ['error500-json', 'api_error'],
    ['error500-auto', 'api_error'],
  ] as const)('%s: %s from the API status', (scenario, kind) => {
    const c = classify(evidenceOf(scenario));
    expect(c?.kind).toBe(kind);
    expect(c?.remedy.action).toBe('escalate');
    expect(c?.evidence).toMatch(/401|500/);
  });

  it('permdenied: permission_denied, escalated', () => {
    const c = classify(evidenceOf('permdenied'));
    expect(c?.kind).toBe('permission_denied');
    expect(c?.evidence).toContain('./noexec.sh: Permission denied');
    expect(c?.remedy.action).toBe('escalate');
  });
});

describe('gemini classify, other wordings', () => {
  const base = request('text');
  const failedTool = (text: string, file?: string): FailureEvidence => ({
    request: base,
    events: [draft('error', { kind: 'tool.failed', text, ...(file ? { file } : {}) })],
    stderr: '',
    exit: { exitCode: 0, signal: null },
  });

  it('the policy checker wording', () => {
    const c = classify(failedTool('read_file failed: Path "/srv/data/x.csv" in argument "file_path" is outside of the allowed workspace directories.'));
    expect(c?.remedy).toMatchObject({ action: 'relaunch', fix: { kind: 'include-directories', dirs: ['/srv/data'] } });
  });

  it('the old wording takes the path from the failed call, or escalates without one', () => {
    const text = 'write_file failed: File path must be within one of the workspace directories: /repo';
    expect(classify(failedTool(text, '/opt/out/f.txt'))?.remedy).toMatchObject({ fix: { dirs: ['/opt/out'] } });
    expect(classify(failedTool(text))?.remedy.action).toBe('escalate');
  });

  it('exit codes alone: 55 untrusted, 41 auth, 173 quota', () => {
    const byExit = (exitCode: number): Classification | null =>
      classify({ request: base, events: geminiAdapter.finish(geminiAdapter.initialState(), { exitCode, signal: null }), stderr: '', exit: { exitCode, signal: null } });
    expect(byExit(55)?.kind).toBe('untrusted_folder');
    expect(byExit(41)?.kind).toBe('auth');
    expect(byExit(173)?.kind).toBe('quota');
    expect(byExit(53)).toBeNull();
  });

  it('a retried 500 on stderr does not count when the run succeeded', () => {
    const c = classify({ request: base, events: [], stderr: 'Attempt 1 failed with status 500. Retrying with backoff...', exit: { exitCode: 0, signal: null } });
    expect(c).toBeNull();
  });

  it('an unknown flag is a launch_config problem', () => {
    const c = classify({ request: base, events: [], stderr: 'Unknown argument: checkpointing', exit: { exitCode: 1, signal: null } });
    expect(c?.kind).toBe('launch_config');
  });
});
