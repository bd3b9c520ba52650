import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAKE_CLAUDE } from './paths.js';

export interface BenchDirs {
  dir: string;
  target: string;
  workspace: string;
}

/**
 * A throw-away git repository to work on and a workspace for the store. The folder goes when the
 * scenario's process exits normally (a pipeline run leaves ~130 MB of log; a Ctrl-C leaves it);
 * BENCH_KEEP=1 keeps it to look at.
 */
export function benchDirs(prefix: string): BenchDirs {
  const dir = mkdtempSync(join(tmpdir(), `orch-bench-${prefix}-`));
  if (process.env.BENCH_KEEP !== '1') process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const target = join(dir, 'target');
  mkdirSync(target);
  writeFileSync(join(target, 'README.md'), '# bench\n');
  const git = (...args: string[]): void => void execFileSync('git', args, { cwd: target, stdio: 'ignore' });
  git('init', '-q');
  git('add', '.');
  git('-c', 'user.email=b@b', '-c', 'user.name=b', 'commit', '-qm', 'init');
  return { dir, target, workspace: join(dir, 'ws') };
}

/**
 * Every role is the fake Claude Code; Gemini and Codex point at a path that does not exist, so
 * the probe never runs a real CLI. Sandbox off and a high CPU limit: the benchmark measures the
 * orchestrator, not bubblewrap, and a flood legitimately uses a whole core.
 */
export function benchConfig(fakeEnv: Record<string, string>): Record<string, unknown> {
  return {
    roles: { architect: 'claude', implementer: 'claude', reviewer: 'claude' },
    agents: {
      claude: { command: FAKE_CLAUDE, env: fakeEnv },
      gemini: { command: '/nonexistent/orchestrate-bench/gemini' },
      codex: { command: '/nonexistent/orchestrate-bench/codex' },
    },
    limits: { cpuPercent: 10_000 },
    safety: { sandbox: 'off' },
  };
}

/** The environment the orchestrator runs in: credentials the probe accepts, nothing else special. */
export function benchEnv(dirs: BenchDirs): NodeJS.ProcessEnv {
  return { ...process.env, ANTHROPIC_API_KEY: 'bench', HOME: dirs.dir, CI: 'true', ORCHESTRATOR_LOG_LEVEL: 'info' };
}
