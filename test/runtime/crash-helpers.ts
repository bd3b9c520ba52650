import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { getAdapter, isAdapterName } from '../../src/agents/registry.js';
import { CLI } from '../helpers/session-fixture.js';

export interface Row {
  seq: number;
  type: string;
  agent: string;
  worker_id: string;
  attempt: number;
  payload: string;
}

/** Reads the store read-only while an orchestrator may be writing it (WAL allows that). */
export function readLog(dbPath: string): { sessionId?: string; rows: Row[] } {
  if (!existsSync(dbPath)) return { rows: [] };
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 2000');
    const session = db.prepare<[], { id: string }>('SELECT id FROM sessions ORDER BY created_at DESC LIMIT 1').get();
    if (!session) return { rows: [] };
    return { sessionId: session.id, rows: db.prepare<[string], Row>('SELECT seq, type, agent, worker_id, attempt, payload FROM events WHERE session_id = ? ORDER BY seq').all(session.id) };
  } catch {
    return { rows: [] };
  } finally {
    db.close();
  }
}

export function startOrchestrator(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

/** Polls until `check` holds (or the process ended, or time ran out). */
export async function waitUntil(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return false;
}

/**
 * Every line of an agent's raw copy (written only after its events were committed) must have
 * its events in the log: the raw lines are translated again and each resulting event is
 * looked for, in order, among the log's events of that agent.
 */
export function missingReadLines(sessionDir: string, rows: Row[]): string[] {
  const missing: string[] = [];
  const rawDir = join(sessionDir, 'raw');
  if (!existsSync(rawDir)) return missing;
  for (const file of readdirSync(rawDir).filter((f) => f.endsWith('.stdout.log'))) {
    // raw/<worker>-<attempt>-<agent>.stdout.log; one run per file.
    const m = /^(.*)-(\d+)-([a-z]+)(?:~\d+)?\.stdout\.log$/.exec(file);
    if (!m?.[3] || !isAdapterName(m[3])) continue;
    const [, worker = '', attempt = '0', agent] = m;
    const adapter = getAdapter(agent);
    const runRows = rows.filter((r) => r.agent === agent && r.worker_id.replace(/[^A-Za-z0-9_.-]/g, '_') === worker && r.attempt === Number(attempt));
    const seen = new Map<string, number>();
    for (const r of runRows) {
      const key = `${r.type}|${(JSON.parse(r.payload) as { text: string }).text}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    let state = adapter.initialState();
    const needed = new Map<string, number>();
    for (const line of readFileSync(join(rawDir, file), 'utf8').split('\n')) {
      if (!line) continue;
      const r = adapter.translate(line, state);
      state = r.state;
      for (const e of r.events) {
        const key = `${e.type}|${e.payload.text}`;
        needed.set(key, (needed.get(key) ?? 0) + 1);
      }
    }
    for (const [key, n] of needed) if ((seen.get(key) ?? 0) < n) missing.push(`${file}: ${key}`);
  }
  return missing;
}
