import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectClients, WARM_UP_MS } from '../lib/clients.js';
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
  // The measured window is the steady state: 10 s at the rate after a first second at the same
  // rate, while the orchestrator's and the clients' code is still cold (JIT, first GCs); that
  // second is reported on its own (latency_cold_*), not hidden.
  const durationMs = quick ? 1000 + WARM_UP_MS : 10_000 + WARM_UP_MS;
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
    const { clients: results, latency, warm, cold } = await clients.done;
    await probe.stop();
    const bad = results.filter((r) => r.outOfOrder > 0 || r.received < r.markerSeq);
    if (bad.length > 0) throw new Error(`latency: ${bad.length} client(s) missed or reordered entries`);
    const expected = Math.floor((durationMs * RATE) / 1000) * CLIENTS;
    if (latency.n !== expected) throw new Error(`latency: ${latency.n} timed lines arrived, expected ${expected}`);
    return {
      figures: {
        latency_p50_ms: fig(round(warm.p50, 2), 'ms'),
        latency_p99_ms: fig(round(warm.p99, 2), 'ms', { kind: 'max', value: 10 }),
        latency_max_ms: fig(round(warm.max, 2), 'ms'),
        // The first second, while code is cold, and the whole run, for comparison with earlier rounds.
        latency_cold_p99_ms: fig(round(cold.p99, 2), 'ms (lines written in the first second)'),
        latency_cold_max_ms: fig(round(cold.max, 2), 'ms (lines written in the first second)'),
        latency_all_p99_ms: fig(round(latency.p99, 2), 'ms (every line, the first second included)'),
      },
      notes: [`latency: ${RATE} lines/s for ${durationMs / 1000} s (one log entry each), ${CLIENTS} WebSocket clients (?batch=1 unless BENCH_WS_BATCH=0); p50/p99/max over the ${warm.n} samples (write in the agent → receipt in a client) of lines written after the first ${WARM_UP_MS / 1000} s, cold_* over the ${cold.n} before`],
    };
  } finally {
    clients.stop();
    await live.close();
  }
};
