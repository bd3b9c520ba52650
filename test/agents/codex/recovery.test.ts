import { describe, expect, it } from 'vitest';
import { codexAdapter } from '../../../src/agents/codex/adapter.js';
import type { Classification, FailureEvidence, LaunchRequest } from '../../../src/agents/types.js';
import { draft } from '../../../src/agents/common/events.js';
import { exitOf, listScenarios, loadTranscript, translateTranscript } from '../../helpers/transcripts.js';

/** The request the recorded run corresponds to: bypass in argv means work mode. */
function requestFor(scenario: string): LaunchRequest {
  const { meta } = loadTranscript('codex', scenario);
  return {
    role: 'implementer',
    mode: meta.argv.includes('--dangerously-bypass-approvals-and-sandbox') ? 'work' : 'review',
    prompt: meta.argv.at(-1) ?? '',
    cwd: meta.cwd,
    workspace: '/ws',
    extraDirs: [],
  };
}

function evidenceOf(scenario: string, request = requestFor(scenario)): FailureEvidence {
  const t = loadTranscript('codex', scenario);
  return { request, events: translateTranscript(codexAdapter, t), stderr: t.stderr, exit: exitOf(t) };
}

const classify = (scenario: string): Classification | null => codexAdapter.classify(evidenceOf(scenario));

describe('codex classifier on the real transcripts', () => {
  it('nogit -> untrusted_git_directory, relaunched with --skip-git-repo-check', () => {
    const c = classify('nogit');
    expect(c?.kind).toBe('untrusted_git_directory');
    expect(c?.evidence).toBe('Not inside a trusted directory and --skip-git-repo-check was not specified.');
    if (c?.remedy.action !== 'relaunch') throw new Error('expected a relaunch');
    expect(c.remedy.fix).toEqual({ kind: 'skip-git-repo-check' });
    expect(c.remedy.change).toBe('--skip-git-repo-check');
    expect(codexAdapter.buildCommand(c.remedy.request).args).toContain('--skip-git-repo-check');
    expect(codexAdapter.buildCommand(requestFor('nogit')).args).not.toContain('--skip-git-repo-check');
  });

  it('nogit with the fix already applied escalates instead of looping', () => {
    const request: LaunchRequest = { ...requestFor('nogit'), fixes: [{ kind: 'skip-git-repo-check' }] };
    const c = codexAdapter.classify(evidenceOf('nogit', request));
    expect(c?.kind).toBe('untrusted_git_directory');
    expect(c?.remedy.action).toBe('escalate');
  });

  it('error401 and error401-noretry -> auth (escalate)', () => {
    for (const scenario of ['error401', 'error401-noretry']) {
      const c = classify(scenario);
      expect(c?.kind).toBe('auth');
      expect(c?.evidence).toContain('unexpected status 401 Unauthorized');
      expect(c?.remedy.action).toBe('escalate');
    }
  });

  it('no-key -> auth, naming the missing variable', () => {
    const c = classify('no-key');
    expect(c?.kind).toBe('auth');
    if (c?.remedy.action !== 'escalate') throw new Error('expected an escalation');
    expect(c.remedy.suggestions.join(' ')).toContain('MOCK_API_KEY');
  });

  it('error500 ("high demand") -> api_error', () => {
    const c = classify('error500');
    expect(c?.kind).toBe('api_error');
    expect(c?.evidence).toContain('experiencing high demand');
  });

  it('permdenied (both tool modes) -> permission_denied escalate', () => {
    for (const scenario of ['permdenied', 'permdenied-codemode']) {
      const c = classify(scenario);
      expect(c?.kind).toBe('permission_denied');
      expect(c?.evidence).toContain('./noexec.sh: Permission denied');
      expect(c?.remedy.action).toBe('escalate');
    }
  });

  const failing = new Set(['nogit', 'error401', 'error401-noretry', 'no-key', 'error500', 'permdenied', 'permdenied-codemode']);
  for (const scenario of listScenarios('codex').filter((s) => !failing.has(s))) {
    it(`${scenario}: nothing to recover`, () => {
      expect(classify(scenario)).toBeNull();
    });
  }
});

describe('codex classifier on synthetic evidence', () => {
  const request = requestFor('text');
  const withError = (text: string, kind = 'run.failed'): FailureEvidence => ({
    request,
    events: [draft('error', { kind, text })],
    stderr: '',
    exit: { exitCode: 1, signal: null },
  });

  it('429 -> quota', () => {
    expect(codexAdapter.classify(withError('Codex turn failed: unexpected status 429 Too Many Requests: slow down'))?.kind).toBe('quota');
  });

  it('a clap usage error on stderr -> launch_config', () => {
    const c = codexAdapter.classify({
      request,
      events: [],
      stderr: "error: unexpected argument '--full-auto' found\n",
      exit: { exitCode: 2, signal: null },
    });
    expect(c?.kind).toBe('launch_config');
    expect(c?.remedy.action).toBe('escalate');
  });

  it('API words inside a failed tool output are not an API error', () => {
    const c = codexAdapter.classify(withError('shell failed with exit code 22: curl: unexpected status 503', 'tool.failed'));
    expect(c).toBeNull();
  });

  it('the git refusal wins over a generic permission error', () => {
    const c = codexAdapter.classify({
      request,
      events: [draft('error', { kind: 'tool.failed', text: 'Permission denied' })],
      stderr: 'Not inside a trusted directory and --skip-git-repo-check was not specified.\n',
      exit: { exitCode: 1, signal: null },
    });
    expect(c?.kind).toBe('untrusted_git_directory');
  });
});
