// The dashboard's side of the benchmark, in its own process so that the clients' work is not
// counted as the orchestrator's: N WebSocket clients on one session's stream. Each checks that
// it gets every entry once and in order (seq N+1 after N), and notes when the marker entry (the
// agent's exit) arrived and, for lines written by the fake agent in steady mode, how long after
// the write each one arrived. Messages are inspected as bytes, not parsed nor decoded: a
// benchmark client must cost as little as possible (it shares the machine with the orchestrator). Frames are batches (`?batch=1`, as the dashboard asks) unless
// BENCH_WS_BATCH=0.
import { writeFileSync } from 'node:fs';
import WebSocket from 'ws';
import { WARM_UP_MS } from './lib/clients.js';
import { spread, wallMs, type Spread } from './lib/stats.js';

export interface ClientsStart {
  type: 'start';
  url: string;
  token: string;
  clients: number;
}

export interface ClientResult {
  received: number;
  /** Entries that were not exactly the next seq (must be 0). */
  outOfOrder: number;
  markerSeq: number;
  markerAt: number;
}

/** `cpuMs`: this process's CPU time (user + system) from all clients connected to the last marker. */
export type ClientsMessage = { type: 'ready' } | { type: 'done'; clients: ClientResult[]; latency: Spread; warm: Spread; cold: Spread; cpuMs: number } | { type: 'failed'; message: string };

// Searched as bytes in the frame as it came (Buffer.indexOf is native): no string is made per
// frame or per envelope, so ten clients in one process cost little beside the orchestrator.
const MARKER = Buffer.from('"kind":"process.exited"');
const SEQ = Buffer.from('{"seq":');
const BOUNDARY = Buffer.from('},{"seq":');
const STAMP = Buffer.from('bench t=');
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;

/** The decimal number at `at` (ASCII digits up to the next comma), or -1 when `at` does not start an envelope. */
function seqAt(data: Buffer, at: number): number {
  if (data.compare(SEQ, 0, SEQ.length, at, at + SEQ.length) !== 0) return -1;
  let n = 0;
  for (let i = at + SEQ.length; i < data.length && data[i] !== COMMA; i++) n = n * 10 + ((data[i] ?? 48) - 48);
  return n;
}

/**
 * Samples kept in fixed chunks that are never copied. A growing array is copied whenever it
 * grows (×1.5): with 50k samples/s those copies stalled this process for up to 40 ms at 2.3,
 * 3.4, 5.2 and 7.7 s into every run, and showed up as the orchestrator's latency.
 */
class Samples {
  private readonly chunks: Float64Array[] = [];
  private used = CHUNK;
  length = 0;

  push(value: number): void {
    if (this.used === CHUNK) {
      this.chunks.push(new Float64Array(CHUNK));
      this.used = 0;
    }
    (this.chunks.at(-1) as Float64Array)[this.used++] = value;
    this.length += 1;
  }

  values(): Float64Array {
    const all = new Float64Array(this.length);
    this.chunks.forEach((c, i) => all.set(i === this.chunks.length - 1 ? c.subarray(0, this.used) : c, i * CHUNK));
    return all;
  }
}
const CHUNK = 1 << 16;

function reply(m: ClientsMessage): void {
  process.send?.(m);
}

function run(start: ClientsStart): void {
  const latencies = new Samples();
  const written = new Samples();
  const results: ClientResult[] = [];
  let open = 0;
  let cpuAtReady = process.cpuUsage();
  let finished = 0;
  for (let i = 0; i < start.clients; i++) {
    // The measuring instrument must cost little: the server's text is trusted here, not re-validated.
    const ws = new WebSocket(start.url, { headers: { authorization: `Bearer ${start.token}` }, skipUTF8Validation: true, perMessageDeflate: false });
    const result: ClientResult = { received: 0, outOfOrder: 0, markerSeq: 0, markerAt: 0 };
    results.push(result);
    let last = 0;
    ws.on('open', () => {
      open += 1;
      if (open === start.clients) {
        cpuAtReady = process.cpuUsage();
        reply({ type: 'ready' });
      }
    });
    let stamp = -1;
    let marker = -1;
    /** One envelope: `data` bytes [from, end). `stamp`/`marker`: the next occurrence at or after `from`. */
    const envelope = (data: Buffer, from: number, end: number, at: number): void => {
      // Every envelope starts with {"seq":N, (server/stream.ts writes it first).
      const seq = seqAt(data, from);
      if (seq !== last + 1) result.outOfOrder += 1;
      last = seq;
      result.received += 1;
      if (stamp >= 0 && stamp < end) {
        const w = Number.parseFloat(data.toString('latin1', stamp + STAMP.length, stamp + STAMP.length + 20));
        latencies.push(at - w);
        written.push(w);
        stamp = data.indexOf(STAMP, end);
      }
      if (result.markerSeq === 0 && marker >= 0 && marker < end) {
        result.markerSeq = seq;
        result.markerAt = at;
        finished += 1;
        if (finished === start.clients) {
          const cpu = process.cpuUsage(cpuAtReady);
          const all = latencies.values();
          const writes = written.values();
          // Entries arrive in seq order, so the first stamp received is the first line written.
          const first = writes[0] ?? 0;
          const warm = all.filter((_, k) => (writes[k] ?? 0) - first >= WARM_UP_MS);
          const cold = all.filter((_, k) => (writes[k] ?? 0) - first < WARM_UP_MS);
          // BENCH_LATENCY_TRACE=<file>: every sample as "<ms since the first write> <latency ms> <write time, epoch ms>", to see when delays happen.
          if (process.env.BENCH_LATENCY_TRACE) writeFileSync(process.env.BENCH_LATENCY_TRACE, Array.from(writes, (w, k) => `${(w - first).toFixed(1)} ${(all[k] ?? 0).toFixed(2)} ${w.toFixed(1)}`).join('\n'));
          reply({ type: 'done', clients: results, latency: spread(all), warm: spread(warm), cold: spread(cold), cpuMs: (cpu.user + cpu.system) / 1000 });
        }
      }
    };
    ws.on('message', (data: Buffer) => {
      const at = wallMs();
      stamp = data.indexOf(STAMP);
      marker = result.markerSeq === 0 ? data.indexOf(MARKER) : -1;
      if (data[0] !== OPEN_BRACKET) return envelope(data, 0, data.length, at);
      // A batch frame: [{"seq":…},{"seq":…}]. Envelopes are cut where the next one starts; an
      // agent's text cannot fake that boundary (quotes inside JSON strings are escaped; no payload
      // of these scenarios holds an array of objects keyed seq first).
      for (let from = 1; from < data.length - 1; ) {
        const next = data.indexOf(BOUNDARY, from);
        const end = next < 0 ? data.length - 1 : next + 1;
        envelope(data, from, end, at);
        from = end + 1;
      }
    });
    ws.on('error', (error) => reply({ type: 'failed', message: `client ${i}: ${error.message}` }));
    ws.on('close', (code, reason) => {
      if (result.markerSeq === 0) reply({ type: 'failed', message: `client ${i} closed before the end: ${code} ${reason.toString()}` });
    });
  }
}

process.on('message', (m: ClientsStart) => {
  if (m.type === 'start') run(m);
});
