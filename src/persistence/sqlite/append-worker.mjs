// The event log's writer thread of one SQLite store (append-thread.ts): it commits batches of
// entries on its own connection, so the inserts and the commit's writes to the WAL (a fifth of
// the main thread's time with a chatty agent) run on another core. One transaction per batch,
// as on the main thread: the seq is read and bumped inside it, and a session whose lease epoch
// the main thread holds is refused if the row has moved on (another orchestrator took it over).
// Plain JavaScript because a worker needs a file Node can load as it is (tests run the sources).
//
// A batch comes as the frame the live clients get (a JSON array of envelopes, UTF-8), its seqs
// given by the main thread: each entry is encoded once, for the clients and the store. The
// transaction checks that the seqs go on from the session's last one.
import { createRequire } from 'node:module';
import { TextDecoder } from 'node:util';
import { workerData } from 'node:worker_threads';

const Database = createRequire(import.meta.url)('better-sqlite3');
const { path, port, signal, pragmas } = workerData;
const flag = new Int32Array(signal);

const db = new Database(path, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = NORMAL');
db.pragma('foreign_keys = ON');
for (const pragma of pragmas) db.pragma(pragma);

const COLUMNS = 9;
const ROWS_PER_INSERT = 16;
const ROW = '(?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)';
const insert = (rows) => db.prepare(`INSERT INTO events (session_id, seq, ts, type, agent, worker_id, attempt, payload, usage, idem_key) VALUES ${Array(rows).fill(ROW).join(', ')}`);
const insertOne = insert(1);
const insertMany = insert(ROWS_PER_INSERT);
const getSeq = db.prepare('SELECT last_seq, lease_epoch FROM sessions WHERE id = ?');
const bumpSeq = db.prepare('UPDATE sessions SET last_seq = ? WHERE id = ?');

class Refused extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

const decoder = new TextDecoder();

const append = db.transaction((bytes, epochs) => {
  let envelopes;
  try {
    envelopes = JSON.parse(decoder.decode(bytes));
  } catch (error) {
    throw new Refused('malformed', `a batch that is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!Array.isArray(envelopes)) throw new Refused('malformed', 'a batch that is not an array of envelopes');
  const last = new Map();
  let rows = [];
  for (const e of envelopes) {
    let seq = last.get(e.sessionId);
    if (seq === undefined) {
      const row = getSeq.get(e.sessionId);
      if (!row) throw new Refused('unknown', `unknown session ${e.sessionId}`);
      const mine = epochs[e.sessionId];
      if (mine !== undefined && mine !== row.lease_epoch) {
        throw new Refused('fenced', `session ${e.sessionId} was taken over (lease epoch ${row.lease_epoch}, this orchestrator held ${mine}); write refused`);
      }
      seq = row.last_seq;
    }
    if (e.seq !== seq + 1) throw new Refused('conflict', `session ${e.sessionId}: the log ends at seq ${seq}, the batch goes on with ${e.seq}`);
    last.set(e.sessionId, e.seq);
    rows.push(e.sessionId, e.seq, e.timestamp, e.type, e.agent, e.workerId, e.attempt, JSON.stringify(e.payload), e.usage === undefined ? null : JSON.stringify(e.usage));
    if (rows.length === ROWS_PER_INSERT * COLUMNS) {
      insertMany.run(rows);
      rows = [];
    }
  }
  for (let at = 0; at < rows.length; at += COLUMNS) insertOne.run(rows.slice(at, at + COLUMNS));
  for (const [id, seq] of last) bumpSeq.run(seq, id);
});

// Everything above is ready: until this arrives, no batch can have been committed here.
port.postMessage({ ready: true });

port.on('message', (m) => {
  if (m === 'close') {
    db.close();
    port.close();
    return;
  }
  let answer;
  try {
    // IMMEDIATE: the write lock before reading last_seq, as on the main thread.
    append.immediate(m.bytes, m.epochs);
    answer = { id: m.id, ok: true };
  } catch (error) {
    const kind = error instanceof Refused ? error.kind : 'sqlite';
    const message = error instanceof Error ? error.message : String(error);
    answer = { id: m.id, error: { kind, message, ...(typeof error?.code === 'string' ? { code: error.code } : {}) } };
  }
  // Posted before the flag moves: a main thread blocked in drain() finds it when it wakes.
  port.postMessage(answer);
  Atomics.add(flag, 0, 1);
  Atomics.notify(flag, 0);
});
