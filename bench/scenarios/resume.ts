import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { getAdapter } from '../../src/agents/registry.js';
import { SqliteStore } from '../../src/persistence/sqlite/store.js';
import type { LogEntryInput } from '../../src/persistence/types.js';
import { killRecordedAgents, pollStore, runOrchestrate, type CliProcess } from '../lib/cli-run.js';
import { benchConfig, benchDirs, benchEnv, type BenchDirs } from '../lib/fixture.js';
import { mixLines } from '../lib/mix.js';
import { fig, type Scenario } from '../lib/scenario.js';
import { round } from '../lib/stats.js';

const dbOf = (dirs: BenchDirs): string => join(dirs.workspace, 'orchestrate.db');
const lastSeq = (db: Database.Database, id: string): number => db.prepare<[string], { s: number }>('SELECT last_seq AS s FROM sessions WHERE id = ?').get(id)?.s ?? 0;

/** The first event of the agent after `afterSeq`: the (re)launched agent's events are being taken in. */
const agentEventAfter = (id: string, afterSeq: number) => (db: Database.Database) =>
  db.prepare<[string, number], { seq: number }>("SELECT seq FROM events WHERE session_id = ? AND seq > ? AND agent = 'claude' ORDER BY seq LIMIT 1").get(id, afterSeq);

/** The events a long, chatty run leaves: the translated mix, attributed to the running architect. */
function fill(dbPath: string, sessionId: string, count: number): number {
  const adapter = getAdapter('claude');
  let state = adapter.initialState();
  const drafts = mixLines().flatMap((line) => {
    const step = adapter.translate(line, state);
    state = step.state;
    return step.events;
  });
  const store = new SqliteStore(dbPath);
  const started = performance.now();
  const timestamp = new Date().toISOString();
  for (let done = 0; done < count; ) {
    const batch: LogEntryInput[] = [];
    for (; batch.length < 5000 && done < count; done++) {
      const d = drafts[done % drafts.length];
      if (d) batch.push({ sessionId, type: d.type, agent: 'claude', workerId: 'architect', attempt: 1, timestamp, payload: d.payload, ...(d.usage ? { usage: d.usage } : {}) });
    }
    store.append(batch);
  }
  store.close();
  return (performance.now() - started) / 1000;
}

/** Kills the orchestrator the hard way (the agent, in its own group, lives on until the resume). */
async function kill(run: CliProcess): Promise<void> {
  run.child.kill('SIGKILL');
  await run.exited;
}

/** `orchestrate resume <id>` until the relaunched agent's first event is committed. */
async function resume(dirs: BenchDirs, env: NodeJS.ProcessEnv, sessionId: string): Promise<{ ms: number; run: CliProcess }> {
  const before = (await pollStore(dbOf(dirs), (db) => lastSeq(db, sessionId), 5000)).row;
  const run = runOrchestrate(['resume', sessionId, '--workspace', dirs.workspace, '--json', '--port', '0'], env);
  const seen = await pollStore(dbOf(dirs), agentEventAfter(sessionId, before), 60_000).catch((error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${run.output()}`);
  });
  return { ms: seen.at - run.startedAt, run };
}

export const resumeScenario: Scenario = async ({ quick }) => {
  const events = quick ? 5000 : 1_000_000;
  const dirs = benchDirs('resume');
  const config = join(dirs.dir, 'config.json');
  // The agent keeps writing (slowly) until it is killed: the session is live when the orchestrator dies.
  writeFileSync(config, JSON.stringify(benchConfig({ BENCH_MODE: 'steady', BENCH_RATE: '20', BENCH_DURATION_MS: '600000' })));
  const env = benchEnv(dirs);
  const first = runOrchestrate(['bench resume', '--target', dirs.target, '--workspace', dirs.workspace, '--config', config, '--json', '--no-dashboard'], env);
  const { row: sessionId } = await pollStore(dbOf(dirs), (db) => db.prepare<[], { id: string }>("SELECT session_id AS id FROM events WHERE agent = 'claude' LIMIT 1").get()?.id, 30_000);
  let last: CliProcess = first;
  try {
    await kill(first);
    // Baseline: the same session with a short log.
    const small = await resume(dirs, env, sessionId);
    last = small.run;
    await kill(small.run);
    const fillSeconds = fill(dbOf(dirs), sessionId, events);
    const big = await resume(dirs, env, sessionId);
    last = big.run;
    return {
      figures: {
        resume_ms: fig(round(big.ms, 0), `ms (log of ${events.toLocaleString('en-US')} events)`, { kind: 'max', value: 1000 }),
        resume_small_log_ms: fig(round(small.ms, 0), 'ms (log of < 100 events)'),
        resume_log_cost_ms: fig(round(big.ms - small.ms, 0), 'ms (difference)'),
      },
      notes: [
        `resume: a live session was SIGKILLed, ${events.toLocaleString('en-US')} events were appended through the store (${round(events / fillSeconds, 0)} events/s), then \`orchestrate resume\` ran until the relaunched agent's first event was committed; the same resume on the short log is the baseline`,
      ],
    };
  } finally {
    await kill(last);
    killRecordedAgents(dbOf(dirs), sessionId);
  }
};
