import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { CliName } from '../../src/mock-provider/engine.js';
import { GEMINI_MOCK_SETTINGS, mockClientSetup } from '../../src/mock-provider/clients.js';

/**
 * The real CLIs may only run where nothing can leave the machine. scripts/e2e.sh runs the
 * suite inside `unshare -n`; anything else fails here, loudly, instead of skipping.
 */
export function assertLoopbackOnly(): void {
  if (process.env.ORCHESTRATE_E2E_NETNS !== '1') {
    throw new Error('e2e tests run only through scripts/e2e.sh (npm run test:e2e), inside a loopback-only network namespace');
  }
  const links = readFileSync('/proc/net/dev', 'utf8')
    .split('\n')
    .slice(2)
    .map((l) => l.split(':')[0]?.trim())
    .filter((n): n is string => Boolean(n));
  if (links.some((n) => n !== 'lo')) throw new Error(`e2e: network interfaces other than loopback are visible: ${links.join(', ')}`);
}

export function agentBin(cli: CliName): string {
  const dir = process.env.ORCHESTRATE_AGENT_BIN;
  if (!dir) throw new Error('e2e: ORCHESTRATE_AGENT_BIN is not set (scripts/e2e.sh sets it after installing the CLIs)');
  return join(dir, cli);
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A throw-away HOME; Gemini's gets the settings that point it at the mock. */
export function throwawayHome(cli: CliName): string {
  const home = tempDir(`e2e-${cli}-home-`);
  if (cli === 'gemini') {
    mkdirSync(join(home, '.gemini'), { recursive: true });
    writeFileSync(join(home, '.gemini', 'settings.json'), JSON.stringify(GEMINI_MOCK_SETTINGS));
  }
  if (cli === 'codex') mkdirSync(join(home, '.codex'), { recursive: true });
  return home;
}

export interface CliRun {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  lines: Record<string, unknown>[];
}

/** Runs one real CLI directly against the mock provider, with a minimal environment. */
export async function runRealCli(cli: CliName, args: string[], opts: { url: string; cwd: string; home: string; input?: string; env?: Record<string, string> }): Promise<CliRun> {
  const setup = mockClientSetup(cli, opts.url);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    HOME: opts.home,
    ...(cli === 'codex' ? { CODEX_HOME: join(opts.home, '.codex') } : {}),
    ...(process.getuid?.() === 0 && cli === 'claude' ? { IS_SANDBOX: '1' } : {}),
    ...setup.env,
    ...opts.env,
  };
  const fullArgs = cli === 'codex' ? [args[0] ?? 'exec', ...setup.args, ...args.slice(1)] : [...setup.args, ...args];
  const result = await execa(agentBin(cli), fullArgs, {
    cwd: opts.cwd,
    env,
    extendEnv: false,
    reject: false,
    timeout: 180_000,
    ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' }),
  });
  const lines: Record<string, unknown>[] = [];
  for (const line of String(result.stdout).split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(t) as Record<string, unknown>);
    } catch {
      // Not a JSON line (text mode, banners): kept in stdout only.
    }
  }
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr), lines };
}
