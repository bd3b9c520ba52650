import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';

export type DemoCli = 'claude' | 'codex' | 'gemini';
export const DEMO_CLIS: readonly DemoCli[] = ['gemini', 'claude', 'codex'];

/** The pinned versions the end-to-end tests prove; the demo works with these. */
export const PINNED: Record<DemoCli, string> = {
  claude: '@anthropic-ai/claude-code@2.1.197',
  codex: '@openai/codex@0.169.0',
  gemini: '@google/gemini-cli@0.61.0',
};

/** The scripted fake CLIs (test/fixtures/agents), shipped with the package for the demo. */
export const FAKE_AGENT_BIN = join(PACKAGE_ROOT, 'test', 'fixtures', 'agents', 'bin');

const executable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** A real CLI: first in $ORCHESTRATE_AGENT_BIN (where scripts/install-agent-clis.sh puts them), then on PATH. */
export function findRealCli(cli: DemoCli, env: NodeJS.ProcessEnv): string | undefined {
  const dirs = [...(env.ORCHESTRATE_AGENT_BIN ? [env.ORCHESTRATE_AGENT_BIN] : []), ...(env.PATH ?? '').split(delimiter).filter(Boolean)];
  for (const dir of dirs) {
    const path = join(dir, cli);
    if (executable(path)) return path;
  }
  return undefined;
}

export type AgentChoice = { cli: DemoCli; kind: 'real' | 'fake'; command: string };

export function chooseAgents(mode: 'auto' | 'real' | 'fake', env: NodeJS.ProcessEnv): { ok: true; agents: AgentChoice[] } | { ok: false; missing: DemoCli[] } {
  const agents: AgentChoice[] = [];
  const missing: DemoCli[] = [];
  for (const cli of DEMO_CLIS) {
    const real = mode === 'fake' ? undefined : findRealCli(cli, env);
    if (real) agents.push({ cli, kind: 'real', command: real });
    else if (mode === 'real') missing.push(cli);
    else agents.push({ cli, kind: 'fake', command: join(FAKE_AGENT_BIN, cli) });
  }
  return missing.length > 0 ? { ok: false, missing } : { ok: true, agents };
}

export function installHint(missing: readonly DemoCli[]): string {
  return `npm install -g ${missing.map((c) => PINNED[c]).join(' ')}`;
}
