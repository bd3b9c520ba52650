import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Database from 'better-sqlite3';
import split2 from 'split2';
import { connectClients } from '../lib/clients.js';
import { benchDirs } from '../lib/fixture.js';
import { startLive } from '../lib/live-session.js';
import { memoryProbe } from '../lib/memory-probe.js';
import { writeMix } from '../lib/mix.js';
import { FAKE_CLAUDE } from '../lib/paths.js';
import { fig, type Figure, type Scenario } from '../lib/scenario.js';
import { round, wallMs } from '../lib/stats.js';

const CLIENTS = 10;

/** When the fake agent wrote its first line (wall-clock ms), from its mark file. */
const firstWrite = (markFile: string): number => Number(readFileSync(markFile, 'utf8').trim().split('\n').at(-1)?.split(' ')[1]);

/** The baseline: the same fake, the same lines, read and JSON.parse'd in one process, nothing else. */
async function rawRate(env: NodeJS.ProcessEnv, markFile: string, lines: number): Promise<number> {
  const child = spawn(FAKE_CLAUDE, [], { env: { ...env, BENCH_MARK_FILE: markFile }, stdio: ['ignore', 'pipe', 'inherit'] });
  let parsed = 0;
  const sink = new Writable({
    objectMode: true,
    write: (line: string, _enc, callback) => {
      if (line.length > 0 && JSON.parse(line) !== undefined) parsed += 1;
      callback();
    },
  });
  await pipeline(child.stdout, split2(), sink);
  const end = wallMs();
  await new Promise((r) => child.on('close', r));
  if (parsed !== lines) throw new Error(`baseline parsed ${parsed} of ${lines} lines`);
  return lines / ((end - firstWrite(markFile)) / 1000);
}

export const pipelineScenario: Scenario = async ({ quick }) => {
  const lines = Number(process.env.BENCH_PIPELINE_LINES ?? (quick ? 5000 : 200_000));
  const dirs = benchDirs('pipeline');
  const mix = writeMix(dirs.dir);
  const flood = { BENCH_MODE: 'flood', BENCH_LINES: mix.path, BENCH_COUNT: String(lines) };
  // The baseline is taken before and after the pipeline and averaged: one pass is under a second,
  // and on a shared VM the speed of a single second varied by a third between runs.
  const rawBefore = await rawRate({ ...process.env, ...flood }, join(dirs.dir, 'raw-before.mark'), lines);

  const go = join(dirs.dir, 'go');
  const mark = join(dirs.dir, 'pipeline.mark');
  const live = await startLive(dirs, { ...flood, BENCH_GO_FILE: go, BENCH_MARK_FILE: mark }, { server: true });
  const handle = live.handles[0];
  if (!handle || !live.server) throw new Error('pipeline: no session');
  const url = `ws://127.0.0.1:${live.server.port}/api/sessions/${handle.sessionId}/ws?since=0${process.env.BENCH_WS_BATCH === '0' ? '' : '&batch=1'}`;
  const clients = await connectClients(url, live.server.token, CLIENTS, quick ? 60_000 : 300_000);
  let run: PipelineRun | undefined;
  let notes: string[] = [];
  try {
    const probe = await memoryProbe();
    const cpuBefore = process.cpuUsage();
    writeFileSync(go, '');
    const { clients: results, cpuMs: clientsCpuMs } = await clients.done;
    const cpu = process.cpuUsage(cpuBefore);
    await probe.stop();
    const end = Math.max(...results.map((r) => r.markerAt));
    const seconds = (end - firstWrite(mark)) / 1000;
    const markerSeq = results[0]?.markerSeq ?? 0;
    const db = new Database(live.store.path, { readonly: true });
    const entries = db.prepare<[string, number], { n: number }>("SELECT count(*) AS n FROM events WHERE session_id = ? AND agent = 'claude' AND seq <= ?").get(handle.sessionId, markerSeq)?.n ?? 0;
    db.close();
    const bad = results.filter((r) => r.outOfOrder > 0 || r.received < markerSeq || r.markerSeq !== markerSeq);
    if (bad.length > 0) throw new Error(`pipeline: ${bad.length} client(s) missed or reordered entries: ${JSON.stringify(bad)}`);
    run = { linesPerS: lines / seconds, entriesPerS: entries / seconds, seconds, cpuUs: cpu.user + cpu.system, clientsCpuMs, lines };
    notes = [
      `pipeline: ${lines} native Claude lines (a cycle of ${mix.lines} lines from ${mix.bytes} bytes of recorded runs, ${mix.partial} of them partial-message stream_event lines) → ${entries} log entries, each delivered to ${CLIENTS} WebSocket clients, in ${round(seconds, 2)} s`,
    ];
  } finally {
    clients.stop();
    await live.close();
  }
  const rawAfter = await rawRate({ ...process.env, ...flood }, join(dirs.dir, 'raw-after.mark'), lines);
  return { figures: figuresOf(run, rawBefore, rawAfter), notes };
};

interface PipelineRun {
  linesPerS: number;
  entriesPerS: number;
  seconds: number;
  cpuUs: number;
  clientsCpuMs: number;
  lines: number;
}

/** The pipeline's figures from one run, against the baseline's two passes around it. */
function figuresOf(pipeline: PipelineRun, rawBefore: number, rawAfter: number): Record<string, Figure> {
  const raw = (rawBefore + rawAfter) / 2;
  const { linesPerS, entriesPerS, seconds, cpuUs, clientsCpuMs, lines } = pipeline;
  return {
    pipeline_lines_per_s: fig(round(linesPerS, 0), 'native lines/s', { kind: 'min', value: 50_000 }),
    pipeline_entries_per_s: fig(round(entriesPerS, 0), 'log entries/s to each client'),
    raw_parse_lines_per_s: fig(round(raw, 0), 'lines/s (mean of a pass before and one after the pipeline)'),
    raw_parse_spread_percent: fig(round((Math.abs(rawBefore - rawAfter) / raw) * 100, 0), '% between the two baseline passes'),
    pipeline_ratio: fig(round(linesPerS / raw, 3), 'ratio', { kind: 'min', value: 0.25 }),
    // Which side limits the rate: the orchestrator (this process) or the clients' process.
    pipeline_orchestrator_cpu_percent: fig(round((cpuUs / 1000 / 1000 / seconds) * 100, 0), '% of one core'),
    // CPU per line is steadier than the rate when other work shares the machine.
    pipeline_orchestrator_cpu_us_per_line: fig(round(cpuUs / lines, 1), 'µs CPU per native line (orchestrator)'),
    pipeline_clients_cpu_percent: fig(round((clientsCpuMs / 1000 / seconds) * 100, 0), '% of one core (10 clients, one process)'),
  };
}
