import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { CLI } from './paths.js';
import { sleep, wallMs } from './stats.js';

export interface CliProcess {
  child: ChildProcess;
  /** Wall-clock ms just before the spawn. */
  startedAt: number;
  exited: Promise<number | null>;
  output(): string;
}

/** `node dist/bin/cli.js …` as a real process, stdin closed (unattended), as a user would run it. */
export function runOrchestrate(args: string[], env: NodeJS.ProcessEnv): CliProcess {
  const startedAt = wallMs();
  // `npm run bench -- --cpu-prof` profiles the orchestrator processes too.
  const prof = process.env.BENCH_CPU_PROF_DIR;
  const node = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`, `--cpu-prof-name=orchestrate-${args[0] ?? ''}-${Date.now()}.cpuprofile`] : [];
  const child = spawn(process.execPath, [...node, CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, startedAt, exited, output: () => out };
}

/** Polls a store read-only (WAL lets it read while the orchestrator writes) until `query` returns a row. */
export async function pollStore<T>(dbPath: string, query: (db: Database.Database) => T | undefined, timeoutMs: number, everyMs = 2): Promise<{ row: T; at: number }> {
  const end = Date.now() + timeoutMs;
  while (!existsSync(dbPath)) {
    if (Date.now() > end) throw new Error(`no store at ${dbPath} after ${timeoutMs} ms`);
    await sleep(everyMs);
  }
  const db = new Database(dbPath, { readonly: true });
  db.pragma('busy_timeout = 2000');
  try {
    for (;;) {
      const row = safely(() => query(db));
      if (row !== undefined) return { row, at: wallMs() };
      if (Date.now() > end) throw new Error(`store ${dbPath}: nothing matched after ${timeoutMs} ms`);
      await sleep(everyMs);
    }
  } finally {
    db.close();
  }
}

/** A store still being created has no tables yet: that is "not yet", not an error. */
function safely<T>(fn: () => T | undefined): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/** SIGKILLs the agent process groups a killed orchestrator left behind (recorded as process.spawned). */
export function killRecordedAgents(dbPath: string, sessionId: string): void {
  const db = new Database(dbPath, { readonly: true });
  const rows = db.prepare<[string], { payload: string }>("SELECT payload FROM events WHERE session_id = ? AND type = 'process.spawned'").all(sessionId);
  db.close();
  for (const r of rows) {
    try {
      process.kill(-(JSON.parse(r.payload) as { pid: number }).pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
