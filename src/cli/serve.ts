import { startDashboard } from './dashboard.js';
import { EXIT, openStore, workspaceOf, type RunIo } from './run.js';

export interface ServeOptions {
  workspace?: string;
  port?: number;
  host?: string;
  store?: string;
}

/**
 * `orchestrate serve`: the server and dashboard alone over the store — every past session, and
 * the running ones (read from the shared store, SQLite or PostgreSQL, whichever host runs
 * them; their controls work in the process that drives them). Runs until SIGINT/SIGTERM.
 */
export async function runServe(options: ServeOptions, io: RunIo): Promise<number> {
  // Read-only: another orchestrator may be writing the same file.
  const store = openStore(workspaceOf(options, io.env), io, { mustExist: true, readonly: true, store: options.store });
  if (!store) return EXIT.failed;
  const dashboard = await startDashboard(store, undefined, options, io.stdout);
  if (!dashboard) {
    store.close();
    return EXIT.failed;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await dashboard.close();
  store.close();
  return EXIT.completed;
}
