import { SqliteStore } from '../persistence/sqlite/store.js';
import { StoreError } from '../persistence/sqlite/db.js';
import { startDashboard } from './dashboard.js';
import { EXIT, storePath, workspaceOf, type RunIo } from './run.js';

export interface ServeOptions {
  workspace?: string;
  port?: number;
  host?: string;
}

/**
 * `orchestrate serve`: the server and dashboard alone over the store — every past session, and
 * the running ones (read from the shared store; their controls work in the process that drives
 * them). Runs until SIGINT/SIGTERM.
 */
export async function runServe(options: ServeOptions, io: RunIo): Promise<number> {
  const path = storePath(workspaceOf(options, io.env));
  let store: SqliteStore;
  try {
    // Read-only: another orchestrator may be writing the same file.
    store = new SqliteStore(path, { readonly: true });
  } catch (error) {
    io.stderr.write(`orchestrate: ${error instanceof StoreError ? error.message : String(error)} (use --workspace, or ORCHESTRATOR_WORKSPACE)\n`);
    return EXIT.failed;
  }
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
