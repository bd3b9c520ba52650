import { spawnSync } from 'node:child_process';
import { destination, pino, stdTimeFunctions } from 'pino';
import { z } from 'zod';
import { openStoreAt, storeSpec } from '../persistence/open.js';
import { PgStore } from '../persistence/postgres/store.js';
import { StoreError } from '../persistence/store-error.js';
import { LOG_LEVELS } from '../runtime/logger.js';
import { RunQueue } from '../remote/queue.js';
import { runWorker } from '../remote/worker.js';
import { leaseTtlFromEnv } from '../runtime/lease.js';
import { EXIT, type RunIo } from './run.js';

export interface WorkerCliOptions {
  store?: string;
  agents?: string;
  concurrency: number;
  verbose?: boolean;
}

const Agents = z.array(z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/)).min(1);
const onPath = (cli: string): boolean => spawnSync('sh', ['-c', `command -v ${cli}`], { stdio: 'ignore' }).status === 0;

/**
 * `orchestrate worker`: runs queued agent runs of sessions started with `--remote`, on this host,
 * for the agents installed here (or those named with --agents), until SIGINT/SIGTERM.
 */
export async function runWorkerCli(options: WorkerCliOptions, io: RunIo): Promise<number> {
  const err = (line: string): boolean => io.stderr.write(`orchestrate: ${line}\n`);
  const spec = storeSpec({ flag: options.store, env: io.env.ORCHESTRATE_STORE }, '');
  if (spec instanceof StoreError || spec.kind !== 'postgres') {
    err(spec instanceof StoreError ? spec.message : 'a worker needs the shared store: --store postgres://USER@HOST:PORT/DB (or ORCHESTRATE_STORE)');
    return EXIT.usage;
  }
  const agents = Agents.safeParse(options.agents ? options.agents.split(',').map((a) => a.trim()) : ['claude', 'codex', 'gemini'].filter(onPath));
  if (!agents.success) {
    err(options.agents ? `--agents takes agent names separated by commas, got "${options.agents}"` : 'none of claude, codex, gemini is installed here; name the agents with --agents');
    return EXIT.usage;
  }
  const leaseTtlMs = leaseTtlFromEnv(io.env);
  // A worker's calls are small (a run's events, its lease): none may hold it anywhere near as long
  // as its runs' leases last, or it could not notice in time that it is cut off (worker-run.ts).
  const store = openStoreAt(spec, { pgTimeoutMs: Math.max(2_000, Math.floor(leaseTtlMs / 3)) });
  if (store instanceof StoreError || !(store instanceof PgStore)) {
    err(store instanceof StoreError ? store.message : 'not a PostgreSQL store');
    return EXIT.failed;
  }
  const level = options.verbose ? 'debug' : (io.env.ORCHESTRATOR_LOG_LEVEL ?? 'info').toLowerCase();
  const log = pino({ level: (LOG_LEVELS as readonly string[]).includes(level) ? level : 'info', base: undefined, timestamp: stdTimeFunctions.isoTime }, destination({ dest: 2, sync: true }));
  store.onBlocked((call) => log.warn({ call }, `a store call held this worker for ${call.ms} ms`));
  let queue: RunQueue;
  try {
    queue = await RunQueue.open(spec.url, (error) => log.warn({ err: error }, 'queue error'));
  } catch (error) {
    err(`cannot open the run queue: ${error instanceof Error ? error.message : String(error)}`);
    store.close();
    return EXIT.failed;
  }
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  io.stdout.write(`worker on ${store.path}: agents ${agents.data.join(', ')}, up to ${options.concurrency} at once (Ctrl-C stops)\n`);
  try {
    await runWorker(
      { store, queue, agents: agents.data, concurrency: options.concurrency, leaseTtlMs, log, notice: (line) => io.stdout.write(`${line}\n`) },
      stop.signal,
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await queue.close();
    store.close();
  }
  return EXIT.completed;
}
