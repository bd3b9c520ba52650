import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mockClientSetup, MOCK_API_KEY } from '../mock-provider/clients.js';
import type { AgentChoice, DemoCli } from './agents.js';
import { demoScript } from './scenario.js';

export interface DemoFiles {
  dir: string;
  /** The throw-away git repository the team works on. */
  target: string;
  notesFile: string;
  scriptPath: string;
  configPath: string;
}

/** Placeholder credentials for the fakes, so the probe sees a configured agent. */
const FAKE_KEYS: Record<DemoCli, Record<string, string>> = {
  claude: { ANTHROPIC_API_KEY: MOCK_API_KEY },
  codex: { OPENAI_API_KEY: MOCK_API_KEY },
  gemini: { GEMINI_API_KEY: MOCK_API_KEY },
};

function initRepo(target: string): void {
  mkdirSync(target, { recursive: true });
  writeFileSync(join(target, 'README.md'), '# greet\n\nA throw-away repository made by `orchestrate demo`.\n');
  writeFileSync(join(target, 'package.json'), `${JSON.stringify({ name: 'greet', version: '0.0.0', type: 'module', private: true }, null, 2)}\n`);
  const git = (...args: string[]): void => {
    execFileSync('git', ['-c', 'user.email=demo@orchestrate.invalid', '-c', 'user.name=orchestrate demo', ...args], { cwd: target, stdio: 'ignore' });
  };
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'Initial commit');
}

/** An agent entry of orchestrate.config.json for a real CLI talking to the mock provider at `url`. */
export function mockedAgentConfig(cli: DemoCli, command: string, url: string, homesDir: string): Record<string, unknown> {
  const setup = mockClientSetup(cli, url);
  // Its own HOME keeps the run out of the user's CLI settings, sessions and credentials.
  return { command, args: setup.args, env: setup.env, home: join(homesDir, cli) };
}

function agentConfig(choice: AgentChoice, files: Pick<DemoFiles, 'dir' | 'scriptPath'>, mockUrl: string | undefined): Record<string, unknown> {
  if (choice.kind === 'fake') {
    return { command: choice.command, env: { FAKE_SCRIPT: files.scriptPath, ...FAKE_KEYS[choice.cli] } };
  }
  if (!mockUrl) throw new Error('a real agent needs the mock provider URL');
  return mockedAgentConfig(choice.cli, choice.command, mockUrl, join(files.dir, 'homes'));
}

/** The demo's repository, the notes directory outside it, and the script. */
export function prepareDemo(): Omit<DemoFiles, 'configPath'> {
  const dir = mkdtempSync(join(tmpdir(), 'orchestrate-demo-'));
  const target = join(dir, 'greet');
  initRepo(target);
  mkdirSync(join(dir, 'notes'));
  writeFileSync(join(dir, 'notes', 'README.md'), 'Team notes: keep modules small; every module has a node:test test.\n');
  const notesFile = join(dir, 'notes', 'README.md');
  const scriptPath = join(dir, 'demo-script.json');
  writeFileSync(scriptPath, `${JSON.stringify(demoScript(notesFile), null, 2)}\n`);
  return { dir, target, notesFile, scriptPath };
}

/** The configuration: each agent real (pointed at the mock provider) or fake (reading the script). */
export function writeDemoConfig(files: Omit<DemoFiles, 'configPath'>, agents: AgentChoice[], mockUrl: string | undefined): DemoFiles {
  const configPath = join(files.dir, 'orchestrate.config.json');
  const config = {
    roles: { architect: 'gemini', implementer: 'claude', reviewer: 'codex' },
    agents: Object.fromEntries(agents.map((a) => [a.cli, agentConfig(a, files, mockUrl)])),
  };
  writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
  return { ...files, configPath };
}
