import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';

type Env = Record<string, string | undefined>;

/** A cached answer is re-checked after a day even if the file looks the same. */
const MAX_AGE_MS = 24 * 60 * 60 * 1000;
const MAX_ENTRIES = 64;

const Entry = z.object({ size: z.number(), mtimeMs: z.number(), ctimeMs: z.number(), version: z.string(), checkedAt: z.number() });
const CacheFile = z.record(z.string(), Entry);
type CacheFile = z.infer<typeof CacheFile>;

/**
 * `<agent> --version` answers, remembered per installed file. Every `orchestrate` start probed
 * each configured CLI, and a Node-based CLI takes a few hundred ms to say its version: that was
 * most of the time before the first agent started. An answer is reused only while the
 * executable (after symlinks: the npm shim's target) has the same size, mtime and ctime, so a
 * reinstall or upgrade is probed again. `orchestrate doctor` always asks the CLI itself.
 */
export class VersionCache {
  private readonly path: string;

  constructor(env: Env) {
    const base = env.XDG_CACHE_HOME ?? join(env.HOME ?? homedir(), '.cache');
    this.path = join(base, 'orchestrate', 'versions.json');
  }

  /** `agentEnv`: the agent's own variables, which may change what `--version` says (hashed: they may hold keys). */
  get(binary: string, agentEnv: Record<string, string>, now = Date.now()): string | undefined {
    const id = identify(binary, agentEnv);
    const hit = id && this.read()[id.key];
    if (!id || !hit) return undefined;
    const same = hit.size === id.size && hit.mtimeMs === id.mtimeMs && hit.ctimeMs === id.ctimeMs;
    return same && now - hit.checkedAt < MAX_AGE_MS ? hit.version : undefined;
  }

  set(binary: string, agentEnv: Record<string, string>, version: string, now = Date.now()): void {
    const id = identify(binary, agentEnv);
    if (!id) return;
    // The newest answers only: paths of CLIs removed since (or of throw-away test installs) fall out.
    const kept = Object.entries(this.read()).sort(([, a], [, b]) => b.checkedAt - a.checkedAt).slice(0, MAX_ENTRIES - 1);
    const all: CacheFile = { ...Object.fromEntries(kept), [id.key]: { size: id.size, mtimeMs: id.mtimeMs, ctimeMs: id.ctimeMs, version, checkedAt: now } };
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      // Written whole, then renamed: two orchestrators starting at once never read half a file.
      const tmp = `${this.path}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(all)}\n`);
      renameSync(tmp, this.path);
    } catch {
      // A cache that cannot be written (read-only home) only means the next start probes again.
    }
  }

  private read(): CacheFile {
    try {
      const parsed = CacheFile.safeParse(JSON.parse(readFileSync(this.path, 'utf8')));
      return parsed.success ? parsed.data : {};
    } catch {
      // No cache yet, or an unreadable one: probe as if empty (it is rewritten on the next answer).
      return {};
    }
  }
}

function identify(binary: string, agentEnv: Record<string, string>): { key: string; size: number; mtimeMs: number; ctimeMs: number } | undefined {
  try {
    const path = realpathSync(binary);
    const s = statSync(path);
    const vars = Object.entries(agentEnv).sort(([a], [b]) => (a < b ? -1 : 1));
    const key = vars.length === 0 ? path : `${path} env:${createHash('sha256').update(JSON.stringify(vars)).digest('hex').slice(0, 16)}`;
    return { key, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs };
  } catch {
    return undefined;
  }
}
