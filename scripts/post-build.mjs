// The bin entry must be executable after `npm install` builds it (tsc does not set modes).
import { chmodSync, cpSync, existsSync } from 'node:fs';

const entry = new URL('../dist/cli.js', import.meta.url);
if (existsSync(entry)) chmodSync(entry, 0o755);

// tsc compiles only TypeScript: the dashboard's static files are copied beside the server.
cpSync(new URL('../src/server/dashboard/', import.meta.url), new URL('../dist/server/dashboard/', import.meta.url), { recursive: true });

// The PostgreSQL bridge's worker thread is plain JavaScript, loaded as a file beside sync-pg.js.
cpSync(new URL('../src/persistence/postgres/bridge-worker.mjs', import.meta.url), new URL('../dist/persistence/postgres/bridge-worker.mjs', import.meta.url));

// So is the SQLite store's WAL checkpointer thread (checkpointer.ts).
cpSync(new URL('../src/persistence/sqlite/checkpoint-worker.mjs', import.meta.url), new URL('../dist/persistence/sqlite/checkpoint-worker.mjs', import.meta.url));

// And its event log's writer thread (append-thread.ts).
cpSync(new URL('../src/persistence/sqlite/append-worker.mjs', import.meta.url), new URL('../dist/persistence/sqlite/append-worker.mjs', import.meta.url));
