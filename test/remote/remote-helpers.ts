import { afterAll, beforeAll, expect } from 'vitest';
import { PgStore } from '../../src/persistence/postgres/store.js';
import type { LogEntry } from '../../src/persistence/types.js';
import type { RunRecord } from '../../src/persistence/postgres/runs.js';
import { startOrchestrator } from '../runtime/crash-helpers.js';
import { PG_SKIP_REASON, PgCluster, pgBin } from '../helpers/postgres.js';
import type { Fixture } from '../helpers/session-fixture.js';

export type Proc = ReturnType<typeof startOrchestrator>;

export const sessionArgs = (f: Fixture, task = 'Add a greeting'): string[] => [task, '--target', f.target, '--workspace', f.workspace, '--no-dashboard', '--json', '--remote'];

/** The environment for every process of a test: the shared store, short leases. */
export const remoteEnv = (f: Fixture, url: string): NodeJS.ProcessEnv => ({ ...f.env, ORCHESTRATE_STORE: url, ORCHESTRATE_LEASE_TTL_MS: '3000' });

export function startWorker(env: NodeJS.ProcessEnv, concurrency = 1, agents = 'claude,codex,gemini'): Proc {
  return startOrchestrator(['worker', '--agents', agents, '--concurrency', String(concurrency)], env);
}

/** What the shared store holds now, read as another host would. */
export function snapshotOf(url: string): { sessions: { id: string; status: string }[]; log: (id: string) => LogEntry[]; runs: (id: string) => RunRecord[] } {
  const store = new PgStore(url);
  try {
    const sessions = store.list().map((s) => ({ id: s.id, status: s.status }));
    const logs = new Map(sessions.map((s) => [s.id, store.read(s.id)]));
    const runs = new Map(sessions.map((s) => [s.id, store.runs.ofSession(s.id)]));
    return { sessions, log: (id) => logs.get(id) ?? [], runs: (id) => runs.get(id) ?? [] };
  } finally {
    store.close();
  }
}

/** seq 1..N, and no agent event twice (the same run, epoch and text). */
export function checkLog(entries: LogEntry[]): { gapFree: boolean; duplicates: string[] } {
  const gapFree = entries.every((e, i) => e.seq === i + 1);
  const seen = new Set<string>();
  const duplicates: string[] = [];
  for (const e of entries) {
    if (e.key === undefined) continue;
    if (seen.has(e.key)) duplicates.push(e.key);
    seen.add(e.key);
  }
  return { gapFree, duplicates };
}

export async function stopAll(procs: Proc[]): Promise<void> {
  for (const p of procs) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
    // A stopped process takes no SIGTERM until it runs again.
    p.child.kill('SIGCONT');
    p.child.kill('SIGTERM');
  }
  await Promise.all(procs.map((p) => p.done));
}

/** A run of the (only) session was taken over: its epoch went past the first. */
export const takenOver = (url: string): boolean => {
  const s = snapshotOf(url);
  return s.runs(s.sessions[0]?.id ?? '').some((r) => r.epoch >= 2);
};

/**
 * The log after a takeover: gap-free, no duplicates, not one entry of the first epoch after the
 * successor's first, and nothing of what the fenced-off run wrote late. Returns the taken run.
 */
export function expectFenced(url: string, lateText: string) {
  const store = snapshotOf(url);
  const id = store.sessions[0]?.id ?? '';
  const log = store.log(id);
  expect(checkLog(log)).toEqual({ gapFree: true, duplicates: [] });
  const taken = store.runs(id).find((run) => run.epoch === 2);
  const ofRun = log.filter((e) => e.key?.startsWith(`${taken?.runId ?? '?'}#`));
  const firstNew = ofRun.find((e) => e.key?.includes('#2:'))?.seq ?? Infinity;
  expect(ofRun.filter((e) => e.key?.includes('#1:') && e.seq > firstNew)).toEqual([]);
  expect(log.some((e) => e.payload.text.includes(lateText))).toBe(false);
  return taken;
}

/** The runs table, said when a takeover does not come. */
export const runsOf = (url: string): string => {
  const s = snapshotOf(url);
  return JSON.stringify(s.runs(s.sessions[0]?.id ?? '').map((r) => ({ run: r.runId, state: r.state, owner: r.owner, epoch: r.epoch, expiresAt: r.expiresAt, now: Date.now() })));
};

/** PostgreSQL's binaries are installed; where they are not, the file's suites skip and say why. */
export function pgAvailable(): boolean {
  const ok = pgBin() !== undefined;
  if (!ok) process.stderr.write(`${PG_SKIP_REASON}\n`);
  return ok;
}

/**
 * A throw-away cluster for one describe block (started in its beforeAll), and the orchestrator
 * and worker processes its tests start: all stopped in its afterAll, whatever the tests did.
 */
export function suiteCluster(): { readonly cluster: PgCluster; procs: Proc[] } {
  let current: PgCluster | undefined;
  const procs: Proc[] = [];
  beforeAll(async () => {
    current = await PgCluster.create();
  }, 120_000);
  afterAll(async () => {
    await stopAll(procs);
    current?.destroy();
  });
  return {
    get cluster(): PgCluster {
      if (!current) throw new Error('the suite cluster starts in beforeAll');
      return current;
    },
    procs,
  };
}

/**
 * `run`, or its error with what the workers printed and what the shared log and run table hold:
 * a session that hangs in a loaded CI run is seldom seen to hang again alone, and its store and
 * the workers' output are gone once the test ends.
 */
export async function explained<T>(run: Promise<T>, workers: Proc[], url: string): Promise<T> {
  try {
    return await run;
  } catch (error) {
    await stopAll(workers);
    const outputs = await Promise.all(workers.map((w) => w.done));
    const s = snapshotOf(url);
    const id = s.sessions[0]?.id ?? '';
    const tail = (text: string): string => text.split('\n').slice(-60).join('\n');
    const log = s.log(id).map((e) => `${e.seq} ${e.workerId ?? '-'} ${e.type} ${e.payload.text.split('\n')[0]?.slice(0, 120) ?? ''}`);
    const runs = s.runs(id).map((r) => `${r.runId} ${r.agent} ${r.state} owner=${r.owner ?? '-'} epoch=${r.epoch} stop=${r.stopRequested}`);
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      [message, ...outputs.map((o, i) => `--- worker ${i} (exit ${o.code ?? o.signal}) stderr ---\n${tail(o.stderr)}`), `--- log of ${id} ---`, ...log.slice(-80), '--- runs ---', ...runs].join('\n'),
    );
  }
}
