import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectClients } from '../lib/clients.js';
import { benchDirs } from '../lib/fixture.js';
import { startLive } from '../lib/live-session.js';
import { memoryProbe } from '../lib/memory-probe.js';
import { fig, type Scenario } from '../lib/scenario.js';
import { round } from '../lib/stats.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 10);
const RATE = 5000;

/**
 * The fake agent writes one assistant message per line at a steady 5k lines/s, each carrying the
 * wall-clock time it was written; every client notes when it received it. Between them lies the
 * whole path: pipe, line splitting, translation, the log transaction, the bus, the socket.
 */
export const latencyScenario: Scenario = async ({ quick }) => {
  const durationMs = quick ? 1000 : 10_000;
  const dirs = benchDirs('latency');
  const go = join(dirs.dir, 'go');
  const live = await startLive(dirs, { BENCH_MODE: 'steady', BENCH_RATE: String(RATE), BENCH_DURATION_MS: String(durationMs), BENCH_GO_FILE: go }, { server: true });
  const handle = live.handles[0];
  if (!handle || !live.server) throw new Error('latency: no session');
  const url = `ws://127.0.0.1:${live.server.port}/api/sessions/${handle.sessionId}/ws?since=0${process.env.BENCH_WS_BATCH === '0' ? '' : '&batch=1'}`;
  const clients = await connectClients(url, live.server.token, CLIENTS, durationMs + 60_000);
  try {
    const probe = await memoryProbe();
    writeFileSync(go, '');
    const { clients: results, latency, warm } = await clients.done;
    await probe.stop();
    const bad = results.filter((r) => r.outOfOrder > 0 || r.received < r.markerSeq);
    if (bad.length > 0) throw new Error(`latency: ${bad.length} client(s) missed or reordered entries`);
    const expected = Math.floor((durationMs * RATE) / 1000) * CLIENTS;
    if (latency.n !== expected) throw new Error(`latency: ${latency.n} timed lines arrived, expected ${expected}`);
    return {
      figures: {
        latency_p50_ms: fig(round(latency.p50, 2), 'ms'),
        latency_p99_ms: fig(round(latency.p99, 2), 'ms', { kind: 'max', value: 10 }),
        latency_max_ms: fig(round(latency.max, 2), 'ms'),
        // The same without the first second: how much of the tail is the process warming up.
        latency_warm_p99_ms: fig(round(warm.p99, 2), 'ms (lines written ≥ 1 s after the first)'),
      },
      notes: [`latency: ${RATE} lines/s for ${durationMs / 1000} s (one log entry each), ${CLIENTS} WebSocket clients, ${latency.n} samples (write in the agent → receipt in a client)`],
    };
  } finally {
    clients.stop();
    await live.close();
  }
};
