import type { Store } from '../persistence/types.js';
import type { SessionEnv } from '../runtime/run-session.js';
import type { RunIo } from './run.js';

/** `--remote`: the run queue on the shared PostgreSQL store, or why not. */
export async function openRemote(store: Store, io: RunIo): Promise<NonNullable<SessionEnv['remote']> | { kind: 'usage' | 'queue' }> {
  const { PgStore } = await import('../persistence/postgres/store.js');
  if (!(store instanceof PgStore)) {
    io.stderr.write('orchestrate: --remote needs a store shared with the workers: --store postgres://USER@HOST:PORT/DB (or ORCHESTRATE_STORE)\n');
    return { kind: 'usage' };
  }
  try {
    const { RunQueue } = await import('../remote/queue.js');
    const queue = await RunQueue.open(store.url, (error) => io.stderr.write(`orchestrate: queue: ${error.message}\n`));
    return { store, queue };
  } catch (error) {
    io.stderr.write(`orchestrate: cannot open the run queue: ${error instanceof Error ? error.message : String(error)}\n`);
    return { kind: 'queue' };
  }
}
