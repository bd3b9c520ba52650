// The WAL checkpointer of one SQLite store (checkpointer.ts), in its own thread. A checkpoint
// copies the write-ahead log into the database file and syncs it; run inside a commit on the
// main thread (SQLite's automatic checkpoint) it stalled the event loop for 10–50 ms every few
// MB of log. Here it runs on its own connection, PASSIVE: it never waits for, nor blocks, the
// writer or readers, and copies what was committed since the last time (only when something
// was: `data_version` changes when another connection commits).
// Plain JavaScript because a worker needs a file Node can load as it is (tests run the sources).
import { clearInterval, setInterval } from 'node:timers';
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';

const Database = createRequire(import.meta.url)('better-sqlite3');
const { path, intervalMs } = workerData;

const db = new Database(path, { fileMustExist: true });
db.pragma('busy_timeout = 1000');

let seen = -1;

const timer = setInterval(() => {
  try {
    const version = db.pragma('data_version', { simple: true });
    if (version === seen) return;
    seen = version;
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ type: 'checkpointed', ...result });
  } catch (error) {
    parentPort.postMessage({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  }
}, intervalMs);

parentPort.on('message', (m) => {
  if (m !== 'close') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
