import type { LogEntry } from '../persistence/types.js';
import { jsonOf, lastStr, memo } from './json.js';

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

/** The text JSON.stringify(envelopeOf(e)) makes, reusing the payload's JSON (made once per entry). */
export const envelopeJson = (e: LogEntry): string =>
  `{"seq":${e.seq},"sessionId":${sessionJson(e.sessionId)},"type":${typeJson(e.type)},"payload":${jsonOf(e.payload)},"agent":${agentJson(e.agent)},"workerId":${workerJson(e.workerId)},"attempt":${e.attempt},"timestamp":${timestampJson(e.timestamp)}${e.usage ? `,"usage":${JSON.stringify(e.usage)}` : ''}}`;

/** An envelope ready to send: its JSON, and the same as UTF-8 bytes once a WebSocket needed them. */
export interface Encoded {
  seq: number;
  json: string;
  utf8: Buffer | undefined;
}

const ENCODED = Symbol('orchestrate.encoded');

/**
 * An entry's envelope encoded once however many clients get it: every cursor is offered the
 * same committed entry object from the bus (10 clients stringified and UTF-8-encoded it 10 times).
 */
export const encode = (e: LogEntry): Encoded => memo<Encoded>(e, ENCODED, () => ({ seq: e.seq, json: envelopeJson(e), utf8: undefined }));

export const utf8Of = (m: Encoded): Buffer => (m.utf8 ??= Buffer.from(m.json, 'utf8'));

/** A committed batch encoded once for every client: its envelopes, their characters, whether its seqs follow one another. */
interface EncodedBatch {
  items: Encoded[];
  chars: number;
  consecutive: boolean;
}

const BATCH = Symbol('orchestrate.encoded-batch');

/**
 * Every cursor is offered the same batch array from the bus; encoded and checked once, a client
 * at the batch's start takes the whole of it in one step (per client, the work is per turn).
 */
export function encodeBatch(entries: readonly LogEntry[]): EncodedBatch {
  return memo<EncodedBatch>(entries, BATCH, () => {
    const items = entries.map(encode);
    let chars = 0;
    let consecutive = true;
    items.forEach((m, i) => {
      chars += m.json.length;
      if (i > 0 && m.seq !== (items[i - 1]?.seq ?? 0) + 1) consecutive = false;
    });
    return { items, chars, consecutive };
  });
}

interface Frame {
  first: Encoded;
  last: Encoded;
  length: number;
  utf8: Buffer;
  /** Where each envelope's bytes end in `utf8` (the `,` or `]` after it). */
  ends: Uint32Array;
}
/** The store's frames made ahead, and the one a turn's clients share: a few, never one per entry. */
const frames: Frame[] = [];
const FRAMES_KEPT = 8;

/**
 * Several envelopes as one JSON array frame, made once for every client that gets the same run of
 * entries in the same turn (live clients at the same position all do, one after the other). A
 * run is named by its first and last envelope and its length: cursors deliver consecutive seqs,
 * so that is exact. A few frames are kept, not one per entry: an entry kept elsewhere (a view's
 * recent events) must not keep its turn's frame alive with it.
 */
export function frameOf(batch: readonly Encoded[]): Buffer {
  const first = batch[0];
  const last = batch.at(-1);
  if (first === undefined || last === undefined) return Buffer.from('[]');
  const found = frames.find((f) => f.first === first && f.last === last && f.length === batch.length);
  if (found) return found.utf8;
  const made: Frame = { first, last, length: batch.length, ...arrayBytes(batch) };
  keep(made);
  dropAfterTurn(made);
  return made.utf8;
}

/**
 * A committed batch's frame, made before its commit for the store's writer thread (which stores
 * the entries from it) and kept for the clients that get the batch once it has landed: each
 * entry is encoded once for both.
 */
export function batchFrame(entries: readonly LogEntry[]): Buffer {
  const { items } = encodeBatch(entries);
  const first = items[0];
  const last = items.at(-1);
  if (first === undefined || last === undefined) return Buffer.from('[]');
  const made: Frame = { first, last, length: items.length, ...arrayBytes(items) };
  keep(made);
  return made.utf8;
}

/**
 * A frame made ahead is let go once its batch has landed and been published: after this turn,
 * whose clients got it. Kept longer, a CLI run without WebSocket clients held the last frames for
 * good.
 */
export function releaseFrame(utf8: Buffer): void {
  const frame = frames.find((f) => f.utf8 === utf8);
  if (frame) dropAfterTurn(frame);
}

function keep(frame: Frame): void {
  frames.push(frame);
  if (frames.length > FRAMES_KEPT) frames.shift();
}

/** Dropped once the turn's clients have had it. */
function dropAfterTurn(frame: Frame): void {
  setImmediate(() => {
    const at = frames.indexOf(frame);
    if (at >= 0) frames.splice(at, 1);
  });
}

/**
 * Entries `from`–`to` (exclusive) of a published batch as JSON lines, each the envelope a client
 * gets and a newline: the workspace's `<agent>.jsonl` copies. When the batch has a frame (made
 * ahead for the store's thread) this is a copy of its bytes with the commas between envelopes
 * made newlines (building each line's text again and encoding it took ~0.9 µs a line of the
 * main thread in the sixth round's profile).
 * `alloc` gives the bytes to write into (a writer that is done with them at once can reuse them
 * instead of a fresh buffer per batch, which is external memory for V8 to account).
 */
export function jsonLines(entries: readonly LogEntry[], from = 0, to = entries.length, alloc: (size: number) => Buffer = fresh): Buffer {
  if (from >= to) return Buffer.alloc(0);
  const { items } = encodeBatch(entries);
  const first = items[0];
  const last = items.at(-1);
  const frame = frames.find((f) => f.first === first && f.last === last && f.length === items.length);
  if (!frame) return joinedBytes(items.slice(from, to), 0, 0x0a, 0x0a, alloc);
  const start = from === 0 ? 1 : (frame.ends[from - 1] ?? 0) + 1;
  const end = frame.ends[to - 1] ?? start;
  const out = alloc(end - start + 1);
  frame.utf8.copy(out, 0, start, end);
  for (let i = from; i < to - 1; i++) out[(frame.ends[i] ?? 0) - start] = 0x0a;
  out[end - start] = 0x0a;
  return out.subarray(0, end - start + 1);
}

const fresh = (size: number): Buffer => Buffer.allocUnsafe(size);

/** `[json,json,…]` as UTF-8, and where each envelope ends in it. */
function arrayBytes(batch: readonly Encoded[]): { utf8: Buffer; ends: Uint32Array } {
  const ends = new Uint32Array(batch.length);
  return { utf8: joinedBytes(batch, 0x5b, 0x2c, 0x5d, fresh, ends), ends };
}

/**
 * The envelopes' texts as UTF-8 between `open` and `close` (0: none), `sep` between them, each
 * text encoded straight into the result. Joining them into one string first cost 2–4× more, and
 * ~30× once any envelope held a character outside Latin-1 (an ellipsis, an arrow): the joined
 * string is then two bytes per character, and encoding that whole at once ran at ~30 MB/s (7% of
 * the pipeline's main thread).
 */
function joinedBytes(batch: readonly Encoded[], open: number, sep: number, close: number, alloc: (size: number) => Buffer, ends?: Uint32Array): Buffer {
  // Room for the worst case (3 bytes per UTF-16 unit) instead of measuring each text first:
  // measuring cost as much again as the encoding. The result is a view of what was written.
  let room = 2 + batch.length;
  for (const m of batch) room += 3 * m.json.length;
  const out = alloc(room);
  let at = 0;
  if (open !== 0) out[at++] = open;
  batch.forEach((m, i) => {
    if (i > 0) out[at++] = sep;
    at += out.write(m.json, at, 'utf8');
    if (ends) ends[i] = at;
  });
  if (close !== 0) out[at++] = close;
  return out.subarray(0, at);
}
