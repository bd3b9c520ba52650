import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLaunchFiles } from '../../src/actors/agent-run.js';
import { getAdapter, type AdapterName, type LaunchRequest } from '../../src/agents/registry.js';
import type { AgentEventDraft } from '../../src/protocol/index.js';
import { DIALECTS } from '../../src/mock-provider/dialects.js';
import { startMockProvider, type MockProvider } from '../../src/mock-provider/server.js';
import type { MockScriptInput } from '../../src/mock-provider/script.js';
import { verdictSchema } from '../../src/prompts/index.js';
import { assertLoopbackOnly, runRealCli, tempDir, throwawayHome } from './helpers.js';

/**
 * The permission recoveries with the real CLIs: the real error text goes through the adapter's
 * translator and classifier, and the corrected launch is run again.
 */
let mock: MockProvider | undefined;
const homes: string[] = [];

beforeAll(() => assertLoopbackOnly());
afterAll(() => {
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

async function withMock(rules: MockScriptInput['rules']): Promise<MockProvider> {
  await mock?.close();
  mock = await startMockProvider({ script: { rules }, dialects: DIALECTS });
  return mock;
}

async function launch(adapterName: AdapterName, request: LaunchRequest, home: string) {
  const adapter = getAdapter(adapterName);
  const spec = adapter.buildCommand(request);
  writeLaunchFiles(spec);
  const run = await runRealCli(adapterName as 'claude' | 'codex' | 'gemini', spec.args, { url: mock?.url ?? '', cwd: spec.cwd, home, env: spec.env });
  let state = adapter.initialState();
  const events: AgentEventDraft[] = [];
  for (const line of run.stdout.split('\n')) {
    const r = adapter.translate(line, state);
    state = r.state;
    events.push(...r.events);
  }
  const exit = { exitCode: run.exitCode ?? null, signal: null };
  events.push(...adapter.finish(state, exit));
  return { run, events, classification: adapter.classify({ request, events, stderr: run.stderr, exit }) };
}

const HEADER = (kind: string, mode = 'work') => `[orchestrate role=implementer mode=${mode} kind=${kind} task=t1]`;

describe('permission recoveries with the real CLIs', () => {
  it('Codex outside git without bypass: the real refusal → relaunch with --skip-git-repo-check → the command runs', async () => {
    await withMock([{ respond: { actions: [{ shell: 'echo ok > ran.txt' }], text: 'done' } }]);
    // Codex's own sandbox (no bypass) needs a CODEX_HOME outside the temp directory.
    mkdirSync(join(homedir(), '.cache', 'orchestrate-e2e'), { recursive: true });
    const home = mkdtempSync(join(homedir(), '.cache', 'orchestrate-e2e', 'codex-'));
    homes.push(home);
    mkdirSync(join(home, '.codex'));
    const cwd = tempDir('e2e-nogit-');
    // isGitRepo: true plays a missed detection, so the launch really meets the check.
    const request: LaunchRequest = { role: 'implementer', mode: 'work', prompt: `${HEADER('implement')} run it`, cwd, workspace: cwd, extraDirs: [], isGitRepo: true, home, env: { CODEX_HOME: join(home, '.codex') } };
    expect(getAdapter('codex').buildCommand(request).args).toContain('workspace-write');
    const first = await launch('codex', request, home);
    expect(first.run.stderr).toContain('Not inside a trusted directory and --skip-git-repo-check was not specified.');
    expect(first.classification?.kind).toBe('untrusted_git_directory');
    expect(first.classification?.remedy.action).toBe('relaunch');
    if (first.classification?.remedy.action !== 'relaunch') return;
    const second = await launch('codex', first.classification.remedy.request, home);
    expect(second.run.exitCode, second.run.stderr).toBe(0);
    expect(second.classification).toBeNull();
    expect(existsSync(join(cwd, 'ran.txt'))).toBe(true);
  });

  it('Gemini reading outside its workspace: the real error → relaunch with --include-directories → the read works', async () => {
    const outside = tempDir('e2e-gemini-outside-');
    const notes = join(outside, 'notes.md');
    writeFileSync(notes, 'team notes\n');
    await withMock([{ respond: { actions: [{ fail: { kind: 'path_outside_workspace', path: notes } }], text: 'read it' } }]);
    const cwd = tempDir('e2e-gemini-ws-');
    const home = throwawayHome('gemini');
    const request: LaunchRequest = { role: 'architect', mode: 'read-only', prompt: `${HEADER('plan', 'read-only')} plan`, cwd, workspace: cwd, extraDirs: [], home, env: { GOOGLE_GEMINI_BASE_URL: mock?.url ?? '' } };
    const first = await launch('gemini', request, home);
    expect(first.events.some((e) => e.type === 'error' && /Path not in workspace/.test(e.payload.text))).toBe(true);
    expect(first.classification).toMatchObject({ kind: 'path_outside_workspace', remedy: { action: 'relaunch', fix: { kind: 'include-directories', dirs: [outside] } } });
    if (first.classification?.remedy.action !== 'relaunch') return;
    const second = await launch('gemini', first.classification.remedy.request, home);
    expect(second.run.exitCode, second.run.stderr).toBe(0);
    expect(second.classification).toBeNull();
    expect(second.events.some((e) => e.type === 'error')).toBe(false);
  });

  it('Claude reviewer denied a write (permission_denials): escalated per policy, never relaunched with more rights', async () => {
    await withMock([
      { respond: { actions: [{ write: { path: 'review-notes.md', content: 'I was here\n' } }], structured: { verdict: 'approved', summary: 'ok', findings: [] } } },
    ]);
    const cwd = tempDir('e2e-claude-review-');
    const home = throwawayHome('claude');
    const request: LaunchRequest = { role: 'reviewer', mode: 'review', prompt: '[orchestrate role=reviewer mode=review kind=review task=-] review', cwd, workspace: cwd, extraDirs: [], home, outputSchema: verdictSchema() };
    const r = await launch('claude', request, home);
    expect(r.run.exitCode, r.run.stderr).toBe(0);
    expect(existsSync(join(cwd, 'review-notes.md'))).toBe(false);
    expect(r.classification).toMatchObject({ kind: 'permission_denials', remedy: { action: 'escalate' } });
  });
});
