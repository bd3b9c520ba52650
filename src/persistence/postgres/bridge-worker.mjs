// The thread behind SyncPg (sync-pg.ts): it owns one PostgreSQL connection and runs the queries
// the main thread sends, one at a time, in order. The main thread blocks on `signal` (Atomics)
// until the answer is posted, which is how a synchronous store is built on an asynchronous driver.
// Plain JavaScript because a worker needs a file Node can load as it is (tests run the sources).
import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';

const { url, port, signal, statementTimeoutMs } = workerData;
const flag = new Int32Array(signal);
let client;
// Which connection `client` is: a statement of a transaction must run on the connection that
// began it, never on a new one (that would run it outside the transaction, unlocked, unfenced).
let generation = 0;

// How soon an idle connection is probed, so one whose peer vanished (a partition, a host that
// died) is found dead instead of waiting on it; the statement budgets bound the rest.
const KEEPALIVE_MS = 5_000;

async function connection(budgetMs) {
  if (client) return client;
  const c = new pg.Client({
    connectionString: url,
    // Connecting is part of the call that needs it, and within its budget.
    connectionTimeoutMillis: budgetMs,
    // The server gives up on a statement after the store's timeout (each call also has its own
    // client-side budget, see below).
    statement_timeout: statementTimeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_MS,
    // A process paused or cut off inside a transaction (SIGSTOP, a partition) would hold its row
    // locks and block every host writing that session; the server ends such a session after
    // 5 s (our transactions are a few statements apart), so its locks go and its writes fail.
    idle_in_transaction_session_timeout: 5_000,
    application_name: 'orchestrate',
  });
  // A dropped connection is replaced at the next query; the error itself reaches the caller there.
  c.on('error', () => {
    if (client === c) client = undefined;
  });
  await c.connect();
  client = c;
  generation += 1;
  return c;
}

// A SQLSTATE outside "connection exception" (08) and "operator intervention" (57P0x) means the
// statement failed but the connection is fine; anything else (ECONNRESET, ...) means it is not.
function isStatementError(error) {
  const code = error && typeof error.code === 'string' ? error.code : '';
  return /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('08') && !code.startsWith('57P');
}

function answer(message) {
  port.postMessage(message);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

async function run(request) {
  const started = Date.now();
  // The call's whole budget (connecting, then the statement): the main thread is blocked meanwhile.
  const budget = request.timeoutMs ?? statementTimeoutMs;
  try {
    if (request.conn !== undefined && (!client || request.conn !== generation)) {
      answer({ id: request.id, error: { message: 'the connection was lost inside a transaction; nothing of it was committed' } });
      return;
    }
    const c = await connection(budget);
    // A statement that outlives its budget fails here ("Query read timeout", no SQLSTATE), and the
    // connection it was sent on is dropped below: its answer may never come (a partition).
    const left = Math.max(1, budget - (Date.now() - started));
    const result = await c.query({ text: request.sql, values: request.params, query_timeout: left });
    answer({ id: request.id, rows: result.rows ?? [], rowCount: result.rowCount ?? 0, conn: generation });
  } catch (error) {
    // A broken connection is not reused: the next query opens a new one (outside any transaction).
    if (client && !isStatementError(error)) {
      const c = client;
      client = undefined;
      c.end().catch(() => undefined);
    }
    answer({ id: request.id, error: { message: String(error && error.message ? error.message : error), code: error && error.code ? String(error.code) : undefined } });
  }
}

// One call at a time, in order: a call the main thread gave up on still ends (within its own
// budget) before the next starts, so two never race to open the connection.
let queue = Promise.resolve();
port.on('message', (request) => {
  if (request.close) {
    const c = client;
    client = undefined;
    void c?.end().catch(() => undefined);
    port.close();
    return;
  }
  queue = queue.then(() => run(request));
});

parentPort?.postMessage('ready');
