import type { Writable } from 'node:stream';
import { loadConfig } from '../config/load.js';
import { probeAgents } from '../probe/probe.js';
import { renderDoctor, renderDoctorJson } from '../probe/render.js';
import { chooseTier } from '../probe/tiers.js';
import { renderLayers, safetyLayers } from '../safety/layers.js';

/** `orchestrate doctor`: exit 0 when a session could run (some tier), 1 when no agent is usable or the config is bad. */
export async function runDoctor(options: { target: string; config?: string; json?: boolean }, out: Writable, err: Writable): Promise<number> {
  const loaded = loadConfig({ target: options.target, ...(options.config ? { configPath: options.config } : {}) });
  if (!loaded.ok) {
    for (const e of loaded.errors) err.write(`${e}\n`);
    return 1;
  }
  // The doctor asks every CLI itself: a remembered answer would hide a broken install.
  const probes = await probeAgents(loaded.config, process.env, { versionCache: false });
  const tier = chooseTier(loaded.config.roles, probes);
  const layers = safetyLayers(loaded.config, process.env);
  if (options.json) {
    out.write(`${JSON.stringify({ ...(JSON.parse(renderDoctorJson(probes, tier)) as Record<string, unknown>), safety: layers }, null, 2)}\n`);
  } else {
    const text = renderDoctor(probes, tier);
    out.write(`${text.endsWith('\n') ? text : `${text}\n`}\n${renderLayers(layers)}\n`);
  }
  return tier.ok ? 0 : 1;
}
