import { chooseAgents, installHint, PINNED, type AgentChoice } from '../demo/agents.js';
import { DEMO_TASK } from '../demo/scenario.js';
import { prepareDemo, writeDemoConfig } from '../demo/setup.js';
import { DIALECTS } from '../mock-provider/dialects.js';
import { isScriptError, loadScript } from '../mock-provider/script.js';
import { startMockProvider, type MockProvider } from '../mock-provider/server.js';
import { EXIT, runTask, type RunIo, type RunOptions } from './run.js';

export interface DemoOptions extends Pick<RunOptions, 'workspace' | 'port' | 'dashboard' | 'json' | 'verbose' | 'tui' | 'inspect'> {
  agents: 'auto' | 'real' | 'fake';
}

function describe(agents: AgentChoice[]): string[] {
  const lines = agents.map((a) => `  ${a.cli.padEnd(7)} ${a.kind === 'real' ? `real CLI ${a.command}` : 'fake agent (scripted stand-in)'}`);
  const fakes = agents.filter((a) => a.kind === 'fake').map((a) => a.cli);
  if (fakes.length > 0) lines.push(`  for the real ${fakes.join(', ')}: ${installHint(fakes)} (or set ORCHESTRATE_AGENT_BIN to their bin folder)`);
  return lines;
}

/**
 * `orchestrate demo`: a whole session on a throw-away repository with no API key. Real CLIs
 * talk to the built-in mock model provider on 127.0.0.1; missing ones are played by the fakes.
 */
export async function runDemo(options: DemoOptions, io: RunIo): Promise<number> {
  const say = (line: string): boolean => (options.json ? io.stderr : io.stdout).write(`${line}\n`);
  const chosen = chooseAgents(options.agents, io.env);
  if (!chosen.ok) {
    io.stderr.write(`orchestrate demo: --agents real, but not installed: ${chosen.missing.join(', ')}\n  install: ${installHint(chosen.missing)}\n`);
    io.stderr.write(`  (the demo is proven with ${Object.values(PINNED).join(', ')})\n`);
    return EXIT.usage;
  }
  const files = prepareDemo();
  let provider: MockProvider | undefined;
  try {
    if (chosen.agents.some((a) => a.kind === 'real')) {
      const script = loadScript(files.scriptPath);
      if (isScriptError(script)) throw new Error(script.message);
      provider = await startMockProvider({ script, dialects: DIALECTS, requestLog: `${files.dir}/mock-requests.jsonl` });
    }
    const demo = writeDemoConfig(files, chosen.agents, provider?.url);
    say('orchestrate demo: a whole session with no API key');
    say(`  repository: ${demo.target} (throw-away)`);
    if (provider) say(`  mock model provider: ${provider.url} (requests logged to ${demo.dir}/mock-requests.jsonl)`);
    say('  agents:');
    for (const line of describe(chosen.agents)) say(line);
    say(`  task: ${DEMO_TASK}`);
    const code = await runTask(
      DEMO_TASK,
      { target: demo.target, config: demo.configPath, dashboard: options.dashboard, tui: options.tui, port: options.port, json: options.json, verbose: options.verbose, workspace: options.workspace, inspect: options.inspect },
      io,
    );
    say(`orchestrate demo: files in ${demo.dir}; the repository's history: git -C ${demo.target} log --stat`);
    return code;
  } catch (error) {
    io.stderr.write(`orchestrate demo: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failed;
  } finally {
    await provider?.close();
  }
}
