import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAKE_BIN, tempDir } from './fake-agents.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'bin', 'cli.js');

export const PLAN = {
  summary: 'Add a greeting module',
  tasks: [
    { id: 't1', title: 'Write greet.js', description: 'export greet()', assignee: 'implementer', dependencies: [], acceptanceCriteria: ['greet.js exists'] },
    { id: 't2', title: 'Write a test', description: 'test greet()', assignee: 'implementer', dependencies: ['t1'], acceptanceCriteria: ['greet.test.js exists'] },
  ],
};

export const verdict = (v: 'approved' | 'concern' | 'blocker', summary = `verdict: ${v}`) => ({ structured: { verdict: v, summary, findings: [] } });

export type Rule = { match: Record<string, unknown>; times?: number; respond: Record<string, unknown> };

/** Rules for a clean run: plan, two tasks with real file changes, every review approves. */
export function happyRules(): Rule[] {
  return [
    { match: { kind: 'plan' }, respond: { text: 'plan', structured: PLAN } },
    {
      match: { kind: 'implement', task: 't1' },
      respond: {
        actions: [
          { write: { path: 'greet.js', content: 'export const greet = (n) => `hi ${n}`;\n' } },
          { report: { tool: 'report_milestone', arguments: { text: 'greet.js written' } } },
        ],
        text: 'Implemented t1.',
      },
    },
    { match: { kind: 'implement', task: 't2' }, respond: { actions: [{ shell: "echo 'test' > greet.test.js" }], text: 'Implemented t2.' } },
    { match: { kind: ['review', 'final-review'] }, respond: verdict('approved', 'Looks good.') },
  ];
}

export interface Fixture {
  dir: string;
  target: string;
  workspace: string;
  script: string;
  argvFile: string;
  env: NodeJS.ProcessEnv;
}

/** A throw-away git repository, a workspace, a fake-agent script, and an environment with the fakes on PATH. */
export function sessionFixture(rules: Rule[], opts: { git?: boolean; config?: Record<string, unknown> } = {}): Fixture {
  const dir = tempDir('orch-session-');
  const target = join(dir, 'target');
  mkdirSync(target);
  writeFileSync(join(target, 'README.md'), '# app\n');
  if (opts.git !== false) {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: target, stdio: 'ignore' });
    git('init', '-q');
    git('add', '.');
    git('-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-qm', 'init');
  }
  if (opts.config) writeFileSync(join(target, 'orchestrate.config.json'), JSON.stringify(opts.config));
  const script = join(dir, 'script.json');
  writeFileSync(script, JSON.stringify({ rules }));
  const argvFile = join(dir, 'argv.jsonl');
  const env: NodeJS.ProcessEnv = {
    PATH: `${FAKE_BIN}:${process.env.PATH ?? ''}`,
    HOME: dir,
    ANTHROPIC_API_KEY: 'fake',
    OPENAI_API_KEY: 'fake',
    GEMINI_API_KEY: 'fake',
    FAKE_SCRIPT: script,
    FAKE_ARGV_FILE: argvFile,
    CI: 'true',
    // The run's temp folder (test/global-temp.ts), so what the orchestrator leaves goes with it.
    TMPDIR: tmpdir(),
  };
  return { dir, target, workspace: join(dir, 'ws'), script, argvFile, env };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The end of the session's orchestrator.log (its path is in the CLI's output): a run that hangs
 * in a loaded CI run is seldom reproduced alone, and the temp folder holding the log is gone after.
 */
function logTail(stderr: string, lines = 80): string {
  const path = /\(tail -f (\S+orchestrator\.log)\)/.exec(stderr)?.[1];
  if (path === undefined) return '';
  try {
    return `\n--- last ${lines} lines of ${path} ---\n${readFileSync(path, 'utf8').split('\n').slice(-lines - 1).join('\n')}`;
  } catch (error) {
    return `\n(${path} could not be read: ${String(error)})`;
  }
}

/** Runs the built CLI as a real process (stdin closed, so it is unattended). */
export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`orchestrate did not finish in ${timeoutMs} ms\n${stderr}${logTail(stderr)}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
