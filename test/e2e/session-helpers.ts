import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DemoCli } from '../../src/demo/agents.js';
import { mockedAgentConfig } from '../../src/demo/setup.js';
import { DIALECTS } from '../../src/mock-provider/dialects.js';
import { MockScript, type MockScriptInput } from '../../src/mock-provider/script.js';
import { startMockProvider, type MockProvider } from '../../src/mock-provider/server.js';
import { SqliteStore } from '../../src/persistence/sqlite/store.js';
import { afterEach, beforeAll } from 'vitest';
import { agentBin, assertLoopbackOnly, tempDir } from './helpers.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'bin', 'cli.js');

export interface RealSession {
  dir: string;
  target: string;
  workspace: string;
  configPath: string;
  mock: MockProvider;
  env: NodeJS.ProcessEnv;
}

export const PLAN_ONE_TASK = {
  summary: 'Write hello.txt',
  tasks: [{ id: 't1', title: 'Write hello.txt', description: 'Create hello.txt saying hello', assignee: 'implementer', dependencies: [], acceptanceCriteria: ['hello.txt exists'] }],
};

export const verdict = (v: 'approved' | 'concern' | 'blocker', summary = `verdict ${v}`) => ({ actions: [], structured: { verdict: v, summary, findings: [] } });

/** A throw-away git repository, the mock provider with `rules`, and a config with the real CLIs pointed at it. */
export async function realSession(rules: MockScriptInput['rules'], opts: { roles?: Partial<Record<'architect' | 'implementer' | 'reviewer', DemoCli>> } = {}): Promise<RealSession> {
  const dir = tempDir('e2e-session-');
  const target = join(dir, 'target');
  mkdirSync(target);
  writeFileSync(join(target, 'README.md'), '# e2e\n');
  const git = (...args: string[]): void => {
    execFileSync('git', ['-c', 'user.email=e2e@test', '-c', 'user.name=e2e', ...args], { cwd: target, stdio: 'ignore' });
  };
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'init');
  const mock = await startMockProvider({ script: MockScript.parse({ rules }), dialects: DIALECTS, requestLog: join(dir, 'requests.jsonl') });
  const clis: DemoCli[] = ['claude', 'codex', 'gemini'];
  const config = {
    roles: { architect: 'gemini', implementer: 'claude', reviewer: 'codex', ...opts.roles },
    agents: Object.fromEntries(clis.map((cli) => [cli, mockedAgentConfig(cli, agentBin(cli), mock.url, join(dir, 'homes'))])),
  };
  const configPath = join(dir, 'orchestrate.config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: join(dir, 'home'), LANG: 'C.UTF-8', CI: 'true' };
  mkdirSync(join(dir, 'home'));
  return { dir, target, workspace: join(dir, 'ws'), configPath, mock, env };
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  summary: { sessionId: string; state: string; tier: number; decisions: { action: string }[] } | undefined;
}

export function startOrchestrate(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Finished>((resolve) => {
    child.on('close', (code) => {
      let summary: Finished['summary'];
      try {
        summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Finished['summary'];
      } catch {
        summary = undefined;
      }
      resolve({ code, stdout, stderr, summary });
    });
  });
  return { child, done };
}

export function runTaskIn(s: RealSession, task: string): Promise<Finished> {
  return startOrchestrate([task, '--no-dashboard', '--json', '--target', s.target, '--workspace', s.workspace, '--config', s.configPath], s.env).done;
}

export function withStore<T>(s: RealSession, fn: (store: SqliteStore) => T): T {
  const store = new SqliteStore(join(s.workspace, 'orchestrate.db'));
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

/**
 * The hooks every real-session e2e file needs: loopback only, a fresh build, and each test's mock
 * provider closed after it. `start` makes a session that is cleaned up that way.
 */
export function useRealSessions(): { start: typeof realSession } {
  let current: RealSession | undefined;
  beforeAll(() => {
    assertLoopbackOnly();
  }, 180_000);
  afterEach(async () => {
    await current?.mock.close();
    current = undefined;
  });
  return {
    start: async (...args) => {
      current = await realSession(...args);
      return current;
    },
  };
}
