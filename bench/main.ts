// `npm run bench [-- --json] [-- --quick] [-- --only a,b] [-- --cpu-prof]`: runs every scenario,
// each in its own process, and prints a table (or one JSON object). Exits non-zero only when a
// scenario crashed: missed targets are reported, not failed (figures depend on the machine).
// Diagnostics: --cpu-prof (then `node bench/.build/bench/profile.js <file>`), BENCH_LATENCY_TRACE,
// BENCH_PROMOTED_PROFILE and BENCH_HEAP_SNAPSHOT (lib/memory-probe.ts), BENCH_CLIENTS (latency),
// BENCH_WS_BATCH=0 (clients without ?batch=1), BENCH_WORKERS / BENCH_WORKERS_MS.
import { fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD, ROOT } from './lib/paths.js';
import { toJson, toTable, type ScenarioOutcome } from './lib/report.js';
import { SCENARIOS } from './scenarios/index.js';
import type { RunOneMessage } from './run-one.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const quick = args.includes('--quick');
const profile = args.includes('--cpu-prof');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? (args[onlyAt + 1] ?? '').split(',') : Object.keys(SCENARIOS);
const unknown = only.filter((n) => !(n in SCENARIOS));
if (unknown.length > 0) {
  console.error(`bench: unknown scenario(s) ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}`);
  process.exit(2);
}

function runOne(name: string): Promise<ScenarioOutcome> {
  const started = Date.now();
  const profDir = join(ROOT, 'bench', '.profiles');
  if (profile) {
    mkdirSync(profDir, { recursive: true });
    process.env.BENCH_CPU_PROF_DIR = profDir;
  }
  // BENCH_NODE_FLAGS: extra Node/V8 flags for the scenario process (e.g. a GC setting to compare).
  const extra = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const execArgv = [...extra, ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=${name}-${started}.cpuprofile`] : [])];
  const child = fork(join(BUILD, 'run-one.js'), [name, ...(quick ? ['--quick'] : [])], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let message: RunOneMessage | undefined;
  child.on('message', (m: RunOneMessage) => (message = m));
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      const seconds = Math.round((Date.now() - started) / 100) / 10;
      if (message?.ok) resolve({ name, ok: true, seconds, ...message.result });
      else resolve({ name, ok: false, seconds, figures: {}, notes: [], error: message?.error ?? `the scenario process ended (${signal ?? code}) without a result` });
    });
  });
}

const outcomes: ScenarioOutcome[] = [];
for (const name of only) {
  if (!json) process.stderr.write(`bench: ${name}…\n`);
  const outcome = await runOne(name);
  if (!outcome.ok) process.stderr.write(`bench: ${name} crashed: ${outcome.error ?? ''}\n`);
  outcomes.push(outcome);
}
console.log(json ? JSON.stringify(toJson(outcomes, quick)) : toTable(outcomes, quick));
process.exitCode = outcomes.every((o) => o.ok) ? 0 : 1;
