import type { LogEntry } from '../persistence/types.js';
import { lastStr, memo } from './json.js';

/** What every live client (WebSocket or SSE) receives, one per committed log entry. */
export interface Envelope {
  seq: number;
  sessionId: string;
  type: string;
  payload: LogEntry['payload'];
  agent: string;
  workerId: string;
  attempt: number;
  timestamp: string;
  usage?: LogEntry['usage'];
}

export const envelopeOf = (e: LogEntry): Envelope => ({
  seq: e.seq,
  sessionId: e.sessionId,
  type: e.type,
  payload: e.payload,
  agent: e.agent,
  workerId: e.workerId,
  attempt: e.attempt,
  timestamp: e.timestamp,
  ...(e.usage ? { usage: e.usage } : {}),
});

const [sessionJson, typeJson, agentJson, workerJson, timestampJson] = [lastStr(), lastStr(), lastStr(), lastStr(), lastStr()];

/**
 * The text JSON.stringify(envelopeOf(e)) makes. The payload's JSON is made here and not kept:
 * the batch's bytes are the one place a committed payload is encoded (the store's thread, the
 * clients and the workspace copies all take it from there). Kept on the payload, as it once was,
 * the text lived as long as the payload did (through the machine) and the young GC promoted it
 * with it (bench/RESULTS.md, tenth round).
 */
export const envelopeJson = (e: LogEntry): string =>
  `{"seq":${e.seq},"sessionId":${sessionJson(e.sessionId)},"type":${typeJson(e.type)},"payload":${JSON.stringify(e.payload)},"agent":${agentJson(e.agent)},"workerId":${workerJson(e.workerId)},"attempt":${e.attempt},"timestamp":${timestampJson(e.timestamp)}${e.usage ? `,"usage":${JSON.stringify(e.usage)}` : ''}}`;

/**
 * A batch of entries encoded once for everyone who needs its envelopes: the store's writer
 * thread (which stores the entries from it), every live client, the workspace copies. Only the
 * bytes are kept, not one string or object per envelope: a batch lives from before its commit
 * until its clients have it, long enough under a flood for the young GC to copy and then promote
 * whatever it holds. Without the envelopes' texts and the payloads' JSON kept, a pipeline run
 * promoted 37–38 MB instead of 51–54 (bench/RESULTS.md, tenth round).
 */
export interface EncodedBatch {
  readonly entries: readonly LogEntry[];
  /** `[json,json,…]` as UTF-8: the frame of a client that takes the whole batch. */
  readonly utf8: Buffer;
  /** Where each envelope's bytes end in `utf8` (the `,` or `]` after it). */
  readonly ends: Uint32Array;
  /** Whether its seqs follow one another. */
  readonly consecutive: boolean;
}

/** Envelopes `from`–`to` (exclusive) of one encoded batch: what a client is sent in one step. */
export interface Run {
  readonly batch: EncodedBatch;
  readonly from: number;
  readonly to: number;
}

const BATCH = Symbol('orchestrate.encoded-batch');

/**
 * The batch's envelopes, encoded once: the store's thread and every cursor are handed the same
 * array (the bus publishes the one the store committed), so the frame made before the commit is
 * the one the clients get. Kept on the array, never on an entry: an entry kept elsewhere (a
 * view's recent events) must not keep its batch's bytes alive.
 */
export function encodeBatch(entries: readonly LogEntry[]): EncodedBatch {
  return memo<EncodedBatch>(entries, BATCH, () => {
    const ends = new Uint32Array(entries.length);
    let consecutive = true;
    for (let i = 1; i < entries.length && consecutive; i++) consecutive = entries[i]?.seq === (entries[i - 1]?.seq ?? 0) + 1;
    return { entries, utf8: joinedBytes(entries, ends), ends, consecutive };
  });
}

/** Where envelope `i` starts in its batch's bytes (after the `[` or `,` before it). */
const startOf = (batch: EncodedBatch, i: number): number => (i === 0 ? 1 : (batch.ends[i - 1] ?? 0) + 1);

/** One envelope's UTF-8 bytes: a view of its batch's, not a copy. */
export const envelopeBytes = (batch: EncodedBatch, i: number): Buffer => batch.utf8.subarray(startOf(batch, i), batch.ends[i] ?? 0);

/** Copies a run's bytes (its envelopes and the commas between them) into `target` at `at`; returns how many. */
export const copyRun = ({ batch, from, to }: Run, target: Buffer, at: number): number => (to > from ? batch.utf8.copy(target, at, startOf(batch, from), batch.ends[to - 1] ?? 0) : 0);

/** The bytes of a run's envelopes and the separators between them (not the brackets around). */
export const runBytes = (run: Run): number => (run.to > run.from ? (run.batch.ends[run.to - 1] ?? 0) - startOf(run.batch, run.from) : 0);

/** The seq of a run's last envelope. */
export const lastSeqOf = (run: Run): number => run.batch.entries[run.to - 1]?.seq ?? 0;

/**
 * Runs of envelopes as one JSON array frame. A client that takes a whole batch (every live client
 * at the batch's start) gets the batch's own bytes: one frame for all of them, no copy.
 */
export function frameOf(runs: readonly Run[]): Buffer {
  const only = runs.length === 1 ? runs[0] : undefined;
  if (only && only.from === 0 && only.to === only.batch.entries.length) return only.batch.utf8;
  const out = Buffer.allocUnsafe(runs.reduce((n, r) => n + runBytes(r) + 1, 2));
  out[0] = 0x5b;
  let at = 1;
  for (const r of runs) {
    if (r.to <= r.from) continue;
    if (at > 1) out[at++] = 0x2c;
    at += copyRun(r, out, at);
  }
  out[at++] = 0x5d;
  return out.subarray(0, at);
}

/**
 * Entries `from`–`to` (exclusive) of a published batch as JSON lines, each the envelope a client
 * gets and a newline: the workspace's `<agent>.jsonl` copies, cut from the batch's bytes with the
 * commas between envelopes made newlines (building each line's text again and encoding it took
 * ~0.9 µs a line of the main thread in the sixth round's profile).
 * `alloc` gives the bytes to write into (a writer that is done with them at once can reuse them
 * instead of a fresh buffer per batch, which is external memory for V8 to account).
 */
export function jsonLines(entries: readonly LogEntry[], from = 0, to = entries.length, alloc: (size: number) => Buffer = fresh): Buffer {
  if (from >= to) return Buffer.alloc(0);
  const run = { batch: encodeBatch(entries), from, to };
  const length = runBytes(run);
  const out = alloc(length + 1);
  copyRun(run, out, 0);
  // The comma after each envelope but the last, and the end, become line breaks.
  const start = startOf(run.batch, from);
  for (let i = from; i < to - 1; i++) out[(run.batch.ends[i] ?? 0) - start] = 0x0a;
  out[length] = 0x0a;
  return out.subarray(0, length + 1);
}

const fresh = (size: number): Buffer => Buffer.allocUnsafe(size);

/**
 * `[json,json,…]` as UTF-8, each envelope's text encoded straight into the result and dropped
 * at once (`ends`: where each ends); no array of the texts is kept while the batch is encoded.
 * Joining the texts into one string first cost 2–4× more, and ~30× once any envelope held a
 * character outside Latin-1 (an ellipsis, an arrow): the joined string is then two bytes per
 * character, and encoding that whole at once ran at ~30 MB/s (7% of the pipeline's main thread).
 */
function joinedBytes(entries: readonly LogEntry[], ends: Uint32Array): Buffer {
  let out = Buffer.allocUnsafe(2 + Math.ceil(entries.length * bytesPerEnvelope * 1.25));
  let at = 0;
  out[at++] = 0x5b;
  entries.forEach((e, i) => {
    const text = envelopeJson(e);
    // Room for a separator, the text and the closing bracket. The text is measured only when the
    // worst case (3 bytes per UTF-16 unit) might not fit: measuring every text cost as much again
    // as the encoding.
    if (at + 3 * text.length + 2 > out.length) {
      const need = at + Buffer.byteLength(text, 'utf8') + 2;
      if (need > out.length) {
        const grown = Buffer.allocUnsafe(Math.max(need, out.length * 2));
        out.copy(grown, 0, 0, at);
        out = grown;
      }
    }
    if (i > 0) out[at++] = 0x2c;
    at += out.write(text, at, 'utf8');
    ends[i] = at;
  });
  out[at++] = 0x5d;
  if (entries.length > 0) bytesPerEnvelope = Math.max(MIN_GUESS, (at - 2) / entries.length);
  // A view keeps its whole allocation alive (a client's queued message, a copy's line): room
  // left over beyond a quarter is given back by a copy of exactly what was written.
  return out.length - at > at / 4 ? Buffer.from(out.subarray(0, at)) : out.subarray(0, at);
}

/**
 * Bytes per envelope to reserve: the last batch's average (with a quarter more), so a chatty
 * agent's batch mostly fits at once and a quiet session does not reserve for one.
 */
let bytesPerEnvelope = 512;
const MIN_GUESS = 128;
