import type { OrchestrateConfig } from '../config/load.js';
import { codexHomeOf, sandboxArgs } from '../agents/codex/command.js';
import { chooseSandbox } from './sandbox.js';

export interface SafetyLayer {
  layer: string;
  active: boolean;
  detail: string;
}

/** Which safety layers a session started now would have, for `orchestrate doctor`. */
export function safetyLayers(config: OrchestrateConfig, env: NodeJS.ProcessEnv): SafetyLayer[] {
  const { safety, limits } = config;
  const adapters = new Set(Object.values(config.agents).map((a) => a.adapter));
  const layers: SafetyLayer[] = [];
  const guard = (cli: string, hook: string): SafetyLayer => ({
    layer: `${cli} ${hook} hook`,
    active: safety.guard,
    detail: safety.guard ? 'orchestrate guard checks every shell command and file path (fail-closed)' : 'off (safety.guard: false)',
  });
  if (adapters.has('claude')) layers.push(guard('Claude Code', 'PreToolUse'));
  if (adapters.has('gemini')) layers.push(guard('Gemini CLI', 'BeforeTool'));
  for (const [name, agent] of Object.entries(config.agents)) {
    if (agent.adapter !== 'codex') continue;
    const worker = { role: 'implementer' as const, mode: 'work' as const, prompt: '', cwd: '.', workspace: '.', extraDirs: [], env: { ...pick(env, 'HOME', 'CODEX_HOME'), ...agent.env }, ...(agent.home ? { home: agent.home } : {}) };
    const own = sandboxArgs(worker).includes('workspace-write');
    layers.push({
      layer: `Codex sandbox (${name})`,
      active: own,
      detail: own ? 'workers: -s workspace-write; reviewers: -s read-only' : `workers bypass Codex's sandbox: CODEX_HOME ${codexHomeOf(worker)} is under the temp directory; reviewers: -s read-only`,
    });
  }
  const os = chooseSandbox(safety.sandbox, env);
  layers.push({ layer: 'OS sandbox', active: os.ok && os.sandbox !== undefined, detail: os.ok ? os.reason : `error: ${os.reason}` });
  layers.push({
    layer: 'resource limits',
    active: true,
    detail: `${limits.cpuPercent}% CPU over ${limits.cpuWindowSeconds} s, ${limits.memoryMb} MB, ${limits.runtimeMinutes} min per worker`,
  });
  layers.push({
    layer: 'confirmations',
    active: safety.guard,
    detail: safety.guard ? 'held for your answer in the terminal UI or the dashboard (rejected after 300 s, or at once when neither runs)' : 'off with the guard',
  });
  return layers;
}

function pick(env: NodeJS.ProcessEnv, ...names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = env[n];
    if (v !== undefined) out[n] = v;
  }
  return out;
}

export function renderLayers(layers: readonly SafetyLayer[]): string {
  const width = Math.max(...layers.map((l) => l.layer.length));
  return ['safety:', ...layers.map((l) => `  ${l.layer.padEnd(width)}  ${l.active ? 'on ' : 'off'}  ${l.detail}`)].join('\n');
}
