import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOrchestrate } from '../lib/cli-run.js';
import { benchConfig, benchDirs, benchEnv } from '../lib/fixture.js';
import { fig, type Scenario } from '../lib/scenario.js';
import { median, round, sleep, wallMs } from '../lib/stats.js';

/** Process start times the fake agent wrote (one line per launch). */
const starts = (file: string): number[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number) : []);

async function helpMs(env: NodeJS.ProcessEnv): Promise<number> {
  const run = runOrchestrate(['--help'], env);
  const code = await run.exited;
  if (code !== 0) throw new Error(`orchestrate --help exited ${String(code)}: ${run.output()}`);
  return wallMs() - run.startedAt;
}

/** `orchestrate "task"` until the first worker process exists; then stopped like a user would (Ctrl-C). */
async function firstSpawnMs(env: NodeJS.ProcessEnv, args: string[], startFile: string): Promise<number> {
  const before = starts(startFile).length;
  const run = runOrchestrate(args, env);
  const end = Date.now() + 30_000;
  while (starts(startFile).length === before) {
    if (Date.now() > end || run.child.exitCode !== null) throw new Error(`no worker was spawned: ${run.output()}`);
    await sleep(5);
  }
  run.child.kill('SIGINT');
  await run.exited;
  return (starts(startFile)[before] ?? Number.NaN) - run.startedAt;
}

export const startupScenario: Scenario = async ({ quick }) => {
  const runs = quick ? 1 : 5;
  const dirs = benchDirs('startup');
  const env = benchEnv(dirs);
  const startFile = join(dirs.dir, 'starts');
  const config = join(dirs.dir, 'config.json');
  writeFileSync(config, JSON.stringify(benchConfig({ BENCH_MODE: 'steady', BENCH_RATE: '10', BENCH_DURATION_MS: '60000', BENCH_START_FILE: startFile })));
  const args = ['bench startup', '--target', dirs.target, '--workspace', dirs.workspace, '--config', config, '--json', '--port', '0'];
  const help: number[] = [];
  const spawn: number[] = [];
  for (let i = 0; i < runs; i++) help.push(await helpMs(env));
  for (let i = 0; i < runs; i++) spawn.push(await firstSpawnMs(env, args, startFile));
  const bare: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = wallMs();
    const run = runOrchestrate(['--version'], env);
    await run.exited;
    bare.push(wallMs() - started);
  }
  return {
    figures: {
      help_ms: fig(round(median(help), 0), 'ms', { kind: 'max', value: 300 }),
      startup_ms: fig(round(median(spawn), 0), 'ms', { kind: 'max', value: 500 }),
      version_ms: fig(round(median(bare), 0), 'ms (orchestrate --version, for scale)'),
    },
    notes: [`startup: medians of ${runs} runs; startup_ms is from spawning \`orchestrate "task"\` (dashboard on) to the start of the first agent process`],
  };
};
