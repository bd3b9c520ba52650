import type { Writable } from 'node:stream';
import { loadConfig } from '../config/load.js';
import { probeAgents } from '../probe/probe.js';
import { renderDoctor, renderDoctorJson } from '../probe/render.js';
import { chooseTier } from '../probe/tiers.js';

/** `orchestrate doctor`: exit 0 when a session could run (some tier), 1 when no agent is usable or the config is bad. */
export async function runDoctor(options: { target: string; config?: string; json?: boolean }, out: Writable, err: Writable): Promise<number> {
  const loaded = loadConfig({ target: options.target, ...(options.config ? { configPath: options.config } : {}) });
  if (!loaded.ok) {
    for (const e of loaded.errors) err.write(`${e}\n`);
    return 1;
  }
  const probes = await probeAgents(loaded.config);
  const tier = chooseTier(loaded.config.roles, probes);
  const text = options.json ? renderDoctorJson(probes, tier) : renderDoctor(probes, tier);
  out.write(text.endsWith('\n') ? text : `${text}\n`);
  return tier.ok ? 0 : 1;
}
