import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { z } from 'zod';
import { OrchestrateConfigSchema } from './schema.js';
import type { OrchestrateConfig } from './schema.js';

export type { OrchestrateConfig } from './schema.js';

export const CONFIG_FILE_NAME = 'orchestrate.config.json';

export type ConfigResult =
  | { ok: true; config: OrchestrateConfig; source: string | null }
  | { ok: false; errors: string[] };

export interface LoadConfigOptions {
  /** The target repository; the default config file is looked for there. */
  target: string;
  /** An explicit `--config FILE` (relative to the current directory); it must exist. */
  configPath?: string;
}

/**
 * Reads, validates and normalizes the configuration. Never throws for bad input: every problem
 * becomes one `file: dotted.path: message` line so the CLI can print them all at once.
 */
export function loadConfig({ target, configPath }: LoadConfigOptions): ConfigResult {
  const file = resolve(configPath ?? join(target, CONFIG_FILE_NAME));
  const label = configPath ?? displayPath(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // No file at the default place simply means "use the defaults"; an explicit one must exist.
    if (configPath === undefined && code === 'ENOENT') return parsed(OrchestrateConfigSchema.safeParse({}), label, null);
    const reason = code === 'ENOENT' ? 'file not found' : `cannot read: ${(error as Error).message}`;
    return { ok: false, errors: [`${label}: ${reason}`] };
  }
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    return { ok: false, errors: [`${label}: invalid JSON: ${jsonErrorText(error as Error, text)}`] };
  }
  const result = parsed(OrchestrateConfigSchema.safeParse(json), label, file);
  return result.ok ? { ...result, config: resolvePaths(result.config, dirname(file)) } : result;
}

function parsed(
  result: z.ZodSafeParseResult<OrchestrateConfig>,
  label: string,
  source: string | null,
): ConfigResult {
  if (result.success) return { ok: true, config: result.data, source };
  return { ok: false, errors: result.error.issues.flatMap((issue) => formatIssue(issue, [])).map((e) => `${label}: ${e}`) };
}

/** Paths in the file mean "relative to the file", not to wherever orchestrate was started. */
function resolvePaths(config: OrchestrateConfig, base: string): OrchestrateConfig {
  const agents = Object.fromEntries(
    Object.entries(config.agents).map(([name, agent]) => [
      name,
      {
        ...agent,
        // A bare name ("claude") is looked up on PATH; only something path-like is a file.
        ...(agent.command?.includes('/') ? { command: resolve(base, agent.command) } : {}),
        ...(agent.home !== undefined ? { home: resolve(base, agent.home) } : {}),
      },
    ]),
  );
  const allowedRoots = config.safety.allowedRoots.map((root) => resolve(base, root));
  return { ...config, agents, safety: { ...config.safety, allowedRoots } };
}

type Issue = z.core.$ZodIssue;

function formatIssue(issue: Issue, prefix: PropertyKey[]): string[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${dotted([...path, key])}: unknown key`);
  if (issue.code === 'invalid_key') {
    const why = issue.issues.map((i) => i.message).join('; ');
    return [`${dotted(path)}: invalid name ${JSON.stringify(String(path.at(-1)))}: ${why}`];
  }
  if (issue.code === 'invalid_union') {
    // Report the one branch whose shape matched (e.g. the weighted-policy object) precisely;
    // when none or several did, the union's own message says what is accepted.
    const matching = issue.errors.filter((branch) => branch.every((i) => i.path.length > 0));
    if (matching.length === 1 && matching[0]) return matching[0].flatMap((i) => formatIssue(i, path));
  }
  return [`${dotted(path)}: ${issue.message.replace(/^Invalid (input|option): /, '')}`];
}

function dotted(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((key, i) => {
      if (typeof key === 'number') return `[${key}]`;
      const text = String(key);
      const plain = /^[A-Za-z_$][\w$-]*$/.test(text);
      return plain ? `${i === 0 ? '' : '.'}${text}` : `[${JSON.stringify(text)}]`;
    })
    .join('');
}

/** Node 20 reports only a character position; editors want line and column. */
function jsonErrorText(error: Error, text: string): string {
  const message = error.message;
  const position = /at position (\d+)/.exec(message)?.[1];
  if (position === undefined || /line \d+/.test(message)) return message;
  const before = text.replace(/^\uFEFF/, '').slice(0, Number(position));
  const line = before.split('\n').length;
  const column = Number(position) - before.lastIndexOf('\n');
  return `${message} (line ${line} column ${column})`;
}

function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}
