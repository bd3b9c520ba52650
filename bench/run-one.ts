// Runs one scenario in a fresh process (so RSS, event-loop lag and a crash belong to it alone)
// and sends its result to the parent.
import { SCENARIOS } from './scenarios/index.js';
import type { ScenarioResult } from './lib/scenario.js';

export type RunOneMessage = { ok: true; result: ScenarioResult } | { ok: false; error: string };

const [name = '', ...flags] = process.argv.slice(2);
const scenario = SCENARIOS[name];
const send = (m: RunOneMessage): Promise<void> => new Promise((resolve) => (process.send ? process.send(m, () => resolve()) : resolve()));

async function main(): Promise<void> {
  if (!scenario) return send({ ok: false, error: `unknown scenario "${name}"` });
  try {
    await send({ ok: true, result: await scenario({ quick: flags.includes('--quick') }) });
  } catch (error) {
    await send({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
}

// Live sessions leave timers and agents behind on failure; the scenario is over either way.
main().then(
  () => process.exit(0),
  () => process.exit(1),
);
