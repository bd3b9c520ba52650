import { describe, expect, it } from 'vitest';
import { claudeAdapter } from '../../../src/agents/claude/adapter.js';
import { buildCommand } from '../../../src/agents/claude/command.js';
import { classify } from '../../../src/agents/claude/recovery.js';
import type { Classification, FailureEvidence, LaunchRequest } from '../../../src/agents/types.js';
import type { AgentEventDraft, RecoveryKind } from '../../../src/protocol/index.js';
import { exitOf, listScenarios, loadTranscript, translateTranscript } from '../../helpers/transcripts.js';

function requestFor(scenario: string, over: Partial<LaunchRequest> = {}): LaunchRequest {
  const meta = loadTranscript('claude', scenario).meta;
  return { role: 'implementer', mode: 'work', prompt: 'do it', cwd: meta.cwd, workspace: '/orch/ws', extraDirs: [], ...over };
}

function evidenceFor(scenario: string, over: Partial<LaunchRequest> = {}): FailureEvidence {
  const t = loadTranscript('claude', scenario);
  return {
    request: requestFor(scenario, over),
    events: translateTranscript(claudeAdapter, t),
    stderr: t.stderr,
    exit: exitOf(t),
  };
}

function relaunched(c: Classification | null): LaunchRequest {
  if (c?.remedy.action !== 'relaunch') throw new Error(`expected a relaunch, got ${JSON.stringify(c)}`);
  return c.remedy.request;
}

/** Every recorded scenario and what the classifier must say about it (in work mode). */
const EXPECTED: Record<string, { kind: RecoveryKind; action: 'relaunch' | 'escalate' } | null> = {
  'root-refusal': { kind: 'root_refusal', action: 'relaunch' },
  'outside-default-perms': { kind: 'permission_denials', action: 'relaunch' },
  permdenied: { kind: 'permission_denied', action: 'escalate' },
  error401: { kind: 'auth', action: 'escalate' },
  'error401-json': { kind: 'auth', action: 'escalate' },
  'no-key': { kind: 'auth', action: 'escalate' },
  error500: { kind: 'api_error', action: 'escalate' },
  'text-no-verbose': { kind: 'launch_config', action: 'escalate' },
  // A turn limit is the orchestrator's own budget, not a launch problem.
  'max-turns': null,
  'disallowed-tool': null,
  empty: null,
  hooks: null,
  multi: null,
  outside: null,
  'resume-1': null,
  'resume-2': null,
  schema: null,
  'stdin-stream': null,
  text: null,
  'text-json': null,
  think: null,
  tool: null,
  'tool-json': null,
  'tool-json-verbose': null,
  'tool-partial': null,
};

describe('claude classifier on the recorded transcripts', () => {
  it('has an expectation for every recorded scenario', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(listScenarios('claude'));
  });

  it.each(Object.entries(EXPECTED))('%s -> %j', (scenario, expected) => {
    const c = classify(evidenceFor(scenario));
    if (expected === null) expect(c).toBeNull();
    else expect({ kind: c?.kind, action: c?.remedy.action }).toEqual(expected);
  });

  it('root-refusal: relaunch with IS_SANDBOX=1, and the new launch really sets it', () => {
    const c = classify(evidenceFor('root-refusal'));
    expect(c?.evidence).toBe('--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons');
    expect(c?.remedy).toMatchObject({ action: 'relaunch', fix: { kind: 'is-sandbox-env' }, change: 'IS_SANDBOX=1' });
    const request = relaunched(c);
    expect(request.fixes).toEqual([{ kind: 'is-sandbox-env' }]);
    expect(buildCommand(request).env.IS_SANDBOX).toBe('1');
  });

  it('root-refusal: escalates when the fix is already there, so no relaunch loop', () => {
    const again = classify({ ...evidenceFor('root-refusal'), request: relaunched(classify(evidenceFor('root-refusal'))) });
    expect(again).toMatchObject({ kind: 'root_refusal', remedy: { action: 'escalate' } });
  });

  it('root-refusal: escalates when IS_SANDBOX=1 was already set (root) or a user env pins another value', () => {
    expect(classify(evidenceFor('root-refusal', { runningAsRoot: true }))?.remedy.action).toBe('escalate');
    expect(classify(evidenceFor('root-refusal', { env: { IS_SANDBOX: 'yes' } }))?.remedy.action).toBe('escalate');
  });

  it('outside-default-perms (work): relaunch with --add-dir of the denied directory', () => {
    const c = classify(evidenceFor('outside-default-perms', { extraDirs: ['/orch/ws'] }));
    expect(c?.kind).toBe('permission_denials');
    expect(c?.evidence).toContain('Claude requested permissions to write to /var/tmp/mock-outside/outside.txt');
    expect(c?.remedy).toMatchObject({ fix: { kind: 'add-dir', dirs: ['/var/tmp/mock-outside'] }, change: '--add-dir /var/tmp/mock-outside' });
    const args = buildCommand(relaunched(c)).args;
    const i = args.indexOf('--add-dir');
    expect(args.slice(i, i + 3)).toEqual(['--add-dir', '/orch/ws', '/var/tmp/mock-outside']);
    expect(args.indexOf('--')).toBeGreaterThan(i + 2);
  });

  it('outside-default-perms: escalates once the directory was added', () => {
    const first = relaunched(classify(evidenceFor('outside-default-perms')));
    const again = classify({ ...evidenceFor('outside-default-perms'), request: first });
    expect(again).toMatchObject({ kind: 'permission_denials', remedy: { action: 'escalate' } });
    const viaExtra = classify(evidenceFor('outside-default-perms', { extraDirs: ['/var/tmp/mock-outside'] }));
    expect(viaExtra?.remedy.action).toBe('escalate');
  });

  it.each(['review', 'read-only'] as const)('outside-default-perms in %s mode: escalate, reviewers must not write', (mode) => {
    const c = classify(evidenceFor('outside-default-perms', { role: 'reviewer', mode }));
    expect(c?.kind).toBe('permission_denials');
    expect(c?.remedy.action).toBe('escalate');
    if (c?.remedy.action === 'escalate') expect(c.remedy.suggestions.join(' ')).toContain('/var/tmp/mock-outside/outside.txt');
  });

  it('permdenied: the generic OS permission error with its real line', () => {
    const c = classify(evidenceFor('permdenied'));
    expect(c?.evidence).toBe('/bin/bash: line 1: ./noexec.sh: Permission denied');
    expect(c?.remedy.action === 'escalate' && c.remedy.suggestions.length).toBeGreaterThan(0);
  });

  it.each(['error401', 'error401-json', 'no-key'])('%s: auth with Claude-specific suggestions', (scenario) => {
    const c = classify(evidenceFor(scenario));
    expect(c?.kind).toBe('auth');
    if (c?.remedy.action === 'escalate') expect(c.remedy.suggestions.join(' ')).toContain('ANTHROPIC_API_KEY');
  });

  it('error500: api_error with the real message as evidence', () => {
    expect(classify(evidenceFor('error500'))?.evidence).toMatch(/^API Error: 500 Internal server error \(mock\)/);
  });

  it('text-no-verbose: launch_config from stderr', () => {
    expect(classify(evidenceFor('text-no-verbose'))?.evidence).toBe(
      'Error: When using --print, --output-format=stream-json requires --verbose',
    );
  });
});

describe('claude classifier: other statuses and order', () => {
  const apiError = (payload: Partial<AgentEventDraft['payload']>): AgentEventDraft => ({
    type: 'error',
    payload: { kind: 'api.error', text: 'API Error', ...payload },
  });
  const evidence = (events: AgentEventDraft[], stderr = ''): FailureEvidence => ({
    request: requestFor('text'),
    events,
    stderr,
    exit: { exitCode: 1, signal: null },
  });

  it.each([
    [429, 'quota'],
    [403, 'auth'],
    [503, 'api_error'],
  ] as const)('api.error with status %i -> %s', (apiStatus, kind) => {
    expect(classify(evidence([apiError({ apiStatus })]))?.kind).toBe(kind);
  });

  it('reads the status from the text when the field is missing', () => {
    expect(classify(evidence([apiError({ text: 'API Error: 529 Overloaded' })]))?.kind).toBe('api_error');
  });

  it('rate_limit error code -> quota', () => {
    expect(classify(evidence([apiError({ errorCode: 'rate_limit' })]))?.kind).toBe('quota');
  });

  it('the specific root refusal wins over a generic Permission denied', () => {
    const events: AgentEventDraft[] = [{ type: 'error', payload: { kind: 'tool.failed', text: 'x: Permission denied' } }];
    const c = classify(evidence(events, '\u001b[31m--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons\u001b[0m\n'));
    expect(c?.kind).toBe('root_refusal');
  });

  it('API errors win over a generic Permission denied', () => {
    const events: AgentEventDraft[] = [
      { type: 'error', payload: { kind: 'tool.failed', text: 'x: Permission denied' } },
      apiError({ apiStatus: 401 }),
    ];
    expect(classify(evidence(events))?.kind).toBe('auth');
  });

  it('retries alone are not a failure', () => {
    const retry: AgentEventDraft = { type: 'status', payload: { kind: 'api.retry', text: 'retrying', apiStatus: 500 } };
    expect(classify(evidence([retry]))).toBeNull();
  });

  it('denials without a path cannot be fixed with --add-dir', () => {
    const denial: AgentEventDraft = {
      type: 'error',
      payload: { kind: 'permission.denials', text: 'refused Bash rm -rf /', denials: [{ tool: 'Bash', command: 'rm -rf /' }] },
    };
    expect(classify(evidence([denial]))).toMatchObject({ kind: 'permission_denials', remedy: { action: 'escalate' } });
  });

  it("denials that are the guard's refusals (policy, or the user said no) are findings, not a permission problem", () => {
    const refused: AgentEventDraft = { type: 'finding', payload: { kind: 'policy.refused', text: 'tool call refused by PreToolUse:Bash: not confirmed' } };
    const denial: AgentEventDraft = { type: 'error', payload: { kind: 'permission.denials', text: 'refused Bash npm publish', denials: [{ tool: 'Bash', command: 'npm publish' }] } };
    expect(classify(evidence([refused, denial]))).toBeNull();
    // One more denial than the guard refused: that one is still a permission problem.
    const two: AgentEventDraft = { ...denial, payload: { ...denial.payload, denials: [{ tool: 'Bash' }, { tool: 'Write', path: '/etc/x' }] } };
    expect(classify(evidence([refused, two]))?.kind).toBe('permission_denials');
  });
});
