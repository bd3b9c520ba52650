import { accessSync, constants, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { execa } from 'execa';
import { forgetGroup, killGroup, registerGroup } from '../actors/process-registry.js';
import { getAdapter } from '../agents/registry.js';
import type { AdapterName } from '../agents/registry.js';
import type { AgentConfig, OrchestrateConfig } from '../config/schema.js';
import { VersionCache } from './version-cache.js';

export interface Credentials {
  present: boolean;
  /** Where they were found: an env variable name or a file path. */
  source?: string;
}

export interface ProbeResult {
  agent: string;
  adapter: AdapterName;
  available: boolean;
  binary?: string;
  version?: string;
  credentials: Credentials;
  /** Why the agent is unavailable, in a few words ("not on PATH"); for tier reasons. */
  reason?: string;
  /** Advice, one line each: what is wrong and what to do about it. */
  problems: string[];
}

export interface ProbeOptions {
  /** How long `<bin> --version` may take (default 10 s). */
  versionTimeoutMs?: number;
  /** For tests: which platform's credential conventions apply (default `process.platform`). */
  platform?: NodeJS.Platform;
  /**
   * Reuse a remembered `--version` answer while the executable is unchanged (see VersionCache);
   * `orchestrate doctor` turns it off to see each CLI answer. Off when ORCHESTRATE_PROBE_CACHE=0.
   */
  versionCache?: boolean;
}

type Env = Record<string, string | undefined>;

const INSTALL: Record<AdapterName, string> = {
  claude: 'npm i -g @anthropic-ai/claude-code',
  codex: 'npm i -g @openai/codex',
  gemini: 'npm i -g @google/gemini-cli',
  jsonl: 'install it or set its path in agents.<name>.command',
};

const LOGIN: Record<AdapterName, string> = {
  claude: 'set ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN / CLAUDE_CODE_OAUTH_TOKEN) or run `claude` once and log in',
  codex: 'set OPENAI_API_KEY (or CODEX_API_KEY) or run `codex login`',
  gemini: 'set GEMINI_API_KEY (or GOOGLE_API_KEY / GOOGLE_GENAI_USE_VERTEXAI=true) or run `gemini` once and sign in',
  jsonl: '',
};

const set = (env: Env, name: string): boolean => (env[name] ?? '') !== '';
const fromEnv = (env: Env, names: readonly string[]): Credentials | undefined => {
  const name = names.find((n) => set(env, n));
  return name === undefined ? undefined : { present: true, source: name };
};
const fromFile = (path: string): Credentials | undefined => (isFile(path) ? { present: true, source: path } : undefined);

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return isFile(path);
  } catch {
    return false;
  }
}

/** `-c key=value` pairs from Codex args; values are TOML, so one level of quotes is removed. */
export function codexConfigArgs(args: readonly string[]): Map<string, string> {
  const pairs = new Map<string, string>();
  args.forEach((arg, i) => {
    const value = arg === '-c' || arg === '--config' ? args[i + 1] : /^(?:--config=|-c)(.+)$/.exec(arg)?.[1];
    const eq = value?.indexOf('=') ?? -1;
    if (value === undefined || eq < 1) return;
    pairs.set(value.slice(0, eq).trim(), value.slice(eq + 1).trim().replace(/^(["'])(.*)\1$/, '$2'));
  });
  return pairs;
}

function codexCredentials(agent: AgentConfig, env: Env, home: string): Credentials | undefined {
  const config = codexConfigArgs(agent.args);
  const provider = config.get('model_provider');
  const key = provider === undefined ? undefined : config.get(`model_providers.${provider}.env_key`);
  // A selected provider with its own key variable needs exactly that variable.
  if (key !== undefined) return set(env, key) ? { present: true, source: `${key} (model provider ${provider})` } : undefined;
  const customKeys = [...config].filter(([k]) => /^model_providers\.[^.]+\.env_key$/.test(k)).map(([, v]) => v);
  const codexHome = agent.env.CODEX_HOME ?? (agent.home ? join(agent.home, '.codex') : (env.CODEX_HOME ?? join(home, '.codex')));
  const found = fromEnv(env, ['OPENAI_API_KEY', 'CODEX_API_KEY', ...customKeys]) ?? fromFile(join(codexHome, 'auth.json'));
  // Providers without env_key (local models, or keys set in config.toml) cannot be checked from here.
  if (!found && provider !== undefined && provider !== 'openai') return { present: true, source: `model provider ${provider} (not checked)` };
  return found;
}

/** Credentials as each CLI finds them; the agent's `home` is its HOME when configured. */
export function findCredentials(agent: AgentConfig, env: Env, platform: NodeJS.Platform = process.platform): Credentials {
  const home = agent.home ?? env.HOME ?? homedir();
  let found: Credentials | undefined;
  switch (agent.adapter) {
    case 'jsonl':
      return { present: true, source: 'not needed' };
    case 'claude':
      found =
        fromEnv(env, ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN']) ??
        fromFile(join(env.CLAUDE_CONFIG_DIR ?? join(home, '.claude'), '.credentials.json')) ??
        // On macOS a login lives in the Keychain, which cannot be read without prompting the user.
        (platform === 'darwin' ? { present: true, source: 'macOS Keychain (not checked)' } : undefined);
      break;
    case 'codex':
      found = codexCredentials(agent, env, home);
      break;
    case 'gemini': {
      const vertexOrGca = ['GOOGLE_GENAI_USE_VERTEXAI', 'GOOGLE_GENAI_USE_GCA'].find((n) => env[n]?.toLowerCase() === 'true');
      const geminiHome = agent.env.GEMINI_CLI_HOME ?? agent.home ?? env.GEMINI_CLI_HOME ?? home;
      found =
        fromEnv(env, ['GEMINI_API_KEY', 'GOOGLE_API_KEY']) ??
        (vertexOrGca ? { present: true, source: vertexOrGca } : undefined) ??
        fromFile(join(geminiHome, '.gemini', 'oauth_creds.json'));
      break;
    }
  }
  return found ?? { present: false };
}

function findBinary(command: string, env: Env): string | undefined {
  if (command.includes('/')) return isExecutable(resolve(command)) ? resolve(command) : undefined;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && isExecutable(join(dir, command))) return join(dir, command);
  }
  return undefined;
}

type VersionCheck = { ok: true; version: string } | { ok: false; timedOut: boolean; detail: string };

/** `<bin> --version` in its own process group, so a hung CLI and its children all get killed. */
async function checkVersion(binary: string, env: Env, timeoutMs: number): Promise<VersionCheck> {
  const child = execa(binary, ['--version'], { env, extendEnv: false, stdin: 'ignore', reject: false, detached: true });
  const pgid = child.pid;
  // Registered so that an orchestrator exiting mid-probe does not leave a hung CLI behind.
  if (pgid !== undefined) registerGroup(pgid);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (pgid !== undefined) killGroup(pgid, 'SIGKILL');
  }, timeoutMs);
  const result = await child;
  clearTimeout(timer);
  if (pgid !== undefined) forgetGroup(pgid);
  const firstLine = (text: unknown): string => (typeof text === 'string' ? text : '').trim().split('\n')[0]?.trim().slice(0, 200) ?? '';
  if (timedOut) return { ok: false, timedOut, detail: `did not answer within ${Math.round(timeoutMs / 100) / 10} s` };
  if (result.failed) {
    const why = result.exitCode === undefined ? result.shortMessage : `exit ${result.exitCode}`;
    const said = firstLine(result.stderr) || firstLine(result.stdout);
    return { ok: false, timedOut, detail: said ? `failed (${why}): ${said}` : `failed (${why})` };
  }
  return { ok: true, version: firstLine(result.stdout) || firstLine(result.stderr) };
}

/** Is this agent usable right now: binary, a working `--version`, credentials. */
export async function probeAgent(
  name: string,
  agent: AgentConfig,
  env: Env = process.env,
  opts: ProbeOptions = {},
): Promise<ProbeResult> {
  const fullEnv: Env = { ...env, ...agent.env };
  const command = agent.command ?? getAdapter(agent.adapter).binary;
  const who = command === name ? name : `${name} (${command})`;
  const problems: string[] = [];
  let reason: string | undefined;
  const fail = (short: string, advice: string): void => {
    reason ??= short;
    problems.push(advice);
  };
  const binary = findBinary(command, fullEnv);
  let version: string | undefined;
  if (binary === undefined) {
    if (command.includes('/')) fail('not executable', `${who}: ${resolve(command)} is not an executable file: check agents.${name}.command`);
    else fail('not on PATH', `${who} is not on PATH: ${INSTALL[agent.adapter].replace('<name>', name)}`);
  } else {
    // HOME is left alone: `--version` needs no config, and Codex refuses a CODEX_HOME that does not exist yet.
    const cache = opts.versionCache !== false && env.ORCHESTRATE_PROBE_CACHE !== '0' ? new VersionCache(env) : undefined;
    const cached = cache?.get(binary, agent.env);
    const check: VersionCheck = cached !== undefined ? { ok: true, version: cached } : await checkVersion(binary, fullEnv, opts.versionTimeoutMs ?? 10_000);
    if (check.ok && cached === undefined) cache?.set(binary, agent.env, check.version);
    if (check.ok) version = check.version;
    else if (agent.adapter === 'jsonl') problems.push(`${who}: \`${binary} --version\` ${check.detail} (not required for jsonl agents)`);
    else fail(check.timedOut ? '--version timed out' : '--version failed', `${who}: \`${binary} --version\` ${check.detail}: reinstall with ${INSTALL[agent.adapter]}`);
  }
  const credentials = findCredentials(agent, fullEnv, opts.platform);
  if (!credentials.present) fail('no credentials', `${name} has no credentials: ${LOGIN[agent.adapter]}`);
  return {
    agent: name,
    adapter: agent.adapter,
    available: reason === undefined,
    ...(binary !== undefined ? { binary } : {}),
    ...(version !== undefined ? { version } : {}),
    credentials,
    ...(reason !== undefined ? { reason } : {}),
    problems,
  };
}

/** Probes every configured agent at once (in config order). */
export function probeAgents(
  config: Pick<OrchestrateConfig, 'agents'>,
  env: Env = process.env,
  opts: ProbeOptions = {},
): Promise<ProbeResult[]> {
  return Promise.all(Object.entries(config.agents).map(([name, agent]) => probeAgent(name, agent, env, opts)));
}
