import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { benchDirs } from '../lib/fixture.js';
import { startLive } from '../lib/live-session.js';
import { memoryProbe } from '../lib/memory-probe.js';
import { fig, type Scenario } from '../lib/scenario.js';
import { round, sleep } from '../lib/stats.js';

const RATE = 100;


/**
 * 50 sessions driven by this one process, as `orchestrate` drives one (each with its store
 * records, snapshots, logger, lease and the dashboard server over all of them), each worker
 * writing 100 lines/s. What matters is that the orchestrator stays responsive (event-loop lag)
 * and small (peak RSS of this process).
 */
export const workersScenario: Scenario = async ({ quick }) => {
  const workers = Number(process.env.BENCH_WORKERS ?? (quick ? 3 : 50));
  const durationMs = Number(process.env.BENCH_WORKERS_MS ?? (quick ? 1000 : 30_000));
  const dirs = benchDirs('workers');
  const go = join(dirs.dir, 'go');
  let peak = process.memoryUsage();
  const sampler = setInterval(() => {
    const now = process.memoryUsage();
    if (now.rss > peak.rss) peak = now;
  }, 100);
  const live = await startLive(dirs, { BENCH_MODE: 'steady', BENCH_RATE: String(RATE), BENCH_DURATION_MS: String(durationMs), BENCH_GO_FILE: go, BENCH_HOLD: '1', BENCH_TICK_MS: '50' }, { count: workers, server: true });
  const lag = monitorEventLoopDelay({ resolution: 1 });
  try {
    // Every agent has started and waits: the measured window is the steady state, not 50 node boots.
    await sleep(quick ? 500 : 5000);
    const expected = Math.floor((durationMs * RATE) / 1000);
    // Counted from each session's bus (committed entries): reading the store here would block the loop being measured.
    const counted = live.handles.map(() => 0);
    live.handles.forEach((h, i) => h.bus.on('entries', (entries) => (counted[i] = (counted[i] ?? 0) + entries.filter((e) => e.payload.kind === 'agent.message').length)));
    const messagesPerSession = (): number[] => [...counted];
    lag.enable();
    const cpu = process.cpuUsage();
    const windowStart = performance.now();
    const probe = await memoryProbe();
    writeFileSync(go, '');
    await sleep(durationMs);
    await probe.stop();
    // Until every line written has been taken in (the orchestrator may be behind).
    let counts = messagesPerSession();
    for (const end = Date.now() + 60_000; counts.some((n) => n < expected); counts = messagesPerSession()) {
      if (Date.now() > end) throw new Error(`workers: expected ${workers} sessions × ${expected} messages, got ${JSON.stringify(counts)}`);
      await sleep(100);
    }
    const behindMs = performance.now() - windowStart - durationMs;
    lag.disable();
    const used = process.cpuUsage(cpu);
    const cpuPercent = ((used.user + used.system) / 1000 / (performance.now() - windowStart)) * 100;
    if (counts.some((n) => n !== expected)) throw new Error(`workers: more messages than written: ${JSON.stringify(counts)}`);
    return {
      figures: {
        loop_lag_p99_ms: fig(round(lag.percentile(99) / 1e6, 2), 'ms', { kind: 'max', value: 20 }),
        loop_lag_p50_ms: fig(round(lag.percentile(50) / 1e6, 2), 'ms'),
        loop_lag_max_ms: fig(round(lag.max / 1e6, 1), 'ms'),
        workers_behind_ms: fig(round(behindMs, 0), 'ms (last line taken in after the last was written)'),
        workers_cpu_percent: fig(round(cpuPercent, 0), '% of one core (orchestrator, while they wrote)'),
        rss_mb: fig(round(peak.rss / 1024 / 1024, 0), 'MB peak', { kind: 'max', value: 200 }),
        rss_heap_mb: fig(round(peak.heapTotal / 1024 / 1024, 0), 'MB of it V8 heap (at the peak)'),
        rss_external_mb: fig(round(peak.external / 1024 / 1024, 0), 'MB of it buffers outside the heap (at the peak)'),
      },
      notes: [`workers: ${workers} sessions in one orchestrator process, one worker each at ${RATE} lines/s for ${durationMs / 1000} s (${workers * expected} events), dashboard server up; lag measured while they wrote`],
    };
  } finally {
    clearInterval(sampler);
    await live.close();
  }
};
