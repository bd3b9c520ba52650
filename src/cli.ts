#!/usr/bin/env node
import * as nodeModule from 'node:module';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { packageVersion } from './package-root.js';
import { tuneV8 } from './runtime/v8-tuning.js';

// Node ≥ 22.1 keeps V8's compiled code between runs: every command's modules (loaded below,
// by dynamic import) start faster from the second run on. Node 20 has no such cache.
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
tuneV8();

/** Exit codes: 0 ok, 1 failure, 2 usage error (bad flag or argument). */
export const EXIT_USAGE = 2;


export function buildProgram(): Command {
  const program = new Command()
    .name('orchestrate')
    .description(
      'Run Gemini CLI (architect), Claude Code (implementer) and Codex CLI (reviewer)\n' +
        'as a supervised, peer-reviewing team on one repository.',
    )
    .enablePositionalOptions()
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .showHelpAfterError('(run "orchestrate --help" for usage)')
    .exitOverride();

  program
    .argument('[task]', 'what the team should do, e.g. "Implement user authentication"')
    .option('-t, --target <dir>', 'the repository to work on (default: the current directory)')
    .option('-w, --workspace <dir>', 'where session files go (default: $ORCHESTRATOR_WORKSPACE or the XDG data directory)')
    .option('-c, --config <file>', 'configuration file (default: <target>/orchestrate.config.json)')
    .option('-p, --port <n>', 'dashboard port', (v) => parsePort(v), 8000)
    .option('--host <address>', 'address the dashboard listens on (default 127.0.0.1; anything else is reachable from the network)')
    .option('--no-dashboard', 'run without the web dashboard')
    .option('-v, --verbose', 'debug-level orchestrator log')
    .option('--json', 'print one JSON summary at the end (progress goes to stderr)')
    .option('--no-tui', 'plain progress lines instead of the terminal UI (also without a TTY or with CI=true)')
    .option('--detach', 'quitting the terminal UI leaves the session running in this process')
    .option('--store <url>', 'sqlite://PATH or postgres://USER@HOST:PORT/DB (default: $ORCHESTRATE_STORE, the config\'s store, or the workspace\'s SQLite file)')
    .option('--remote', 'queue the agent runs for `orchestrate worker`s on any host instead of starting them here (PostgreSQL store)')
    .addOption(new Option('--inspect [mode]', 'log every statechart inspection record to <workspace>/<session>/inspect.jsonl (events redacted, or "full")').choices(['redacted', 'full']).preset('redacted'))
    .addHelpText(
      'after',
      '\nExit codes: 0 completed, 1 failed, 2 usage or configuration error, 3 escalated,\n' +
        '4 waiting for a clarification (unattended), 5 paused (budget, unattended), 130 stopped.\n' +
        'Environment: ORCHESTRATOR_LOG_LEVEL (fatal..trace), ORCHESTRATOR_WORKSPACE, ORCHESTRATE_STORE.',
    )
    .action(async (task: string | undefined, options: RunCliOptions) => {
      if (!task) {
        program.outputHelp();
        return;
      }
      const { runTask } = await import('./cli/run.js');
      process.exitCode = await runTask(task, options, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
    });

  program
    .command('translate')
    .description("normalize an agent CLI's native output stream (a file, or stdin) into orchestrate events, one JSON per line")
    .addOption(new Option('-a, --agent <adapter>', 'which CLI wrote the stream').choices(['claude', 'codex', 'gemini', 'jsonl']).makeOptionMandatory())
    .argument('[file]', 'the stream to read (default: stdin)')
    .option('--exit-code <n>', "the CLI's exit code, to explain how it ended", (v) => parseExitCode(v))
    .option('--stderr <file>', "the CLI's stderr, for the recovery classification")
    .action(async (file: string | undefined, options: TranslateCliOptions) => {
      const { runTranslate } = await import('./cli/translate.js');
      process.exitCode = await runTranslate({ file, ...options }, process.stdin, process.stdout);
    });

  program
    .command('resume')
    .description('continue a session after a crash or a stop of the orchestrator')
    .argument('<session>', 'the session id (see orchestrate sessions)')
    .option('-w, --workspace <dir>', 'where the session store is (default: $ORCHESTRATOR_WORKSPACE or the XDG data directory)')
    .option('-p, --port <n>', 'dashboard port', (v) => parsePort(v), 8000)
    .option('--host <address>', 'address the dashboard listens on (default 127.0.0.1)')
    .option('--no-dashboard', 'run without the web dashboard')
    .option('-v, --verbose', 'debug-level orchestrator log')
    .option('--json', 'print one JSON summary at the end')
    .option('--no-tui', 'plain progress lines instead of the terminal UI')
    .option('--store <url>', 'sqlite://PATH or postgres://USER@HOST:PORT/DB (default: $ORCHESTRATE_STORE, the config\'s store, or the workspace\'s SQLite file)')
    .option('--remote', 'queue the agent runs for `orchestrate worker`s (PostgreSQL store)')
    .addOption(new Option('--inspect [mode]', 'log every statechart inspection record to <workspace>/<session>/inspect.jsonl (events redacted, or "full")').choices(['redacted', 'full']).preset('redacted'))
    .action(async (session: string, options: { workspace?: string; port: number; host?: string; dashboard: boolean; verbose?: boolean; json?: boolean; tui: boolean; store?: string; remote?: boolean; inspect?: 'redacted' | 'full' }) => {
      const { runResume } = await import('./cli/run.js');
      process.exitCode = await runResume(session, options, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
    });

  program
    .command('attach')
    .description('watch a session in the terminal UI: live if it runs, as recorded if it ended (controls only where the session runs)')
    .argument('<session>', 'the session id (see orchestrate sessions)')
    .option('-w, --workspace <dir>', 'where the session store is')
    .option('--no-tui', 'print the event log as plain lines (also without a TTY or with CI=true)')
    .option('--store <url>', 'sqlite://PATH or postgres://USER@HOST:PORT/DB (default: $ORCHESTRATE_STORE, the config\'s store, or the workspace\'s SQLite file)')
    .action(async (session: string, options: { workspace?: string; tui: boolean; store?: string }) => {
      const { runAttach } = await import('./cli/attach.js');
      process.exitCode = await runAttach(session, options, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
    });

  program
    .command('sessions')
    .description('list the sessions in the store: status, tier, agents, age, tokens')
    .option('-w, --workspace <dir>', 'where the session store is')
    .option('--json', 'print them as JSON')
    .option('--store <url>', 'sqlite://PATH or postgres://USER@HOST:PORT/DB (default: $ORCHESTRATE_STORE, the config\'s store, or the workspace\'s SQLite file)')
    .action(async (options: { workspace?: string; json?: boolean; store?: string }) => {
      const { runSessions } = await import('./cli/sessions.js');
      process.exitCode = runSessions(options, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
    });

  program
    .command('inspect')
    .description("draw a session's statecharts (session, workers, reviews, recoveries) with the states its saved snapshot is in")
    .argument('<session>', 'the session id (see orchestrate sessions)')
    .option('-w, --workspace <dir>', 'where the session store is')
    .addOption(new Option('-f, --format <format>', 'mermaid (Markdown with one diagram per actor), dot (Graphviz) or json').choices(['mermaid', 'dot', 'json']).default('mermaid'))
    .option('--actor <path>', 'only this actor\'s chart, e.g. session/implementer (raw, without Markdown)')
    .action(async (session: string, options: { workspace?: string; format: 'mermaid' | 'dot' | 'json'; actor?: string }) => {
      const { runInspect } = await import('./cli/inspect.js');
      process.exitCode = runInspect(session, options, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
    });

  program
    .command('serve')
    .description('the web dashboard and API alone, over every session in the store (past and running)')
    .option('-w, --workspace <dir>', 'where the session store is')
    .option('-p, --port <n>', 'port (default 8000; a free one when taken)', (v) => parsePort(v), 8000)
    .option('--host <address>', 'address to listen on (default 127.0.0.1)')
    .option('--store <url>', 'sqlite://PATH or postgres://USER@HOST:PORT/DB (default: $ORCHESTRATE_STORE, the config\'s store, or the workspace\'s SQLite file)')
    .action(async (options: { workspace?: string; port: number; host?: string; store?: string }) => {
      const { runServe } = await import('./cli/serve.js');
      process.exitCode = await runServe(options, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
    });

  program
    .command('worker')
    .description('run the agent runs of --remote sessions on this host: takes them from the queue in the shared PostgreSQL store')
    .option('--store <url>', 'the shared store, postgres://USER@HOST:PORT/DB (default: $ORCHESTRATE_STORE)')
    .option('--agents <names>', 'only runs of these agents, comma-separated (default: claude, codex, gemini — those installed here)')
    .option('--concurrency <n>', 'agent runs at once (default 2)', (v) => parseCount(v), 2)
    .option('-v, --verbose', 'debug-level log on stderr')
    .action(async (options: { store?: string; agents?: string; concurrency: number; verbose?: boolean }) => {
      const { runWorkerCli } = await import('./cli/worker.js');
      process.exitCode = await runWorkerCli(options, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
    });

  program
    .command('doctor')
    .description('probe the configured agents (binary, version, credentials) and show the tier a session would run at')
    .option('--target <dir>', 'the repository whose orchestrate.config.json applies', process.cwd())
    .option('--config <file>', 'an explicit configuration file')
    .option('--json', 'print the probe as JSON')
    .action(async (options: { target: string; config?: string; json?: boolean }) => {
      const { runDoctor } = await import('./cli/doctor.js');
      process.exitCode = await runDoctor(options, process.stdout, process.stderr);
    });

  program
    .command('guard')
    .description("the safety hook: reads one Claude Code PreToolUse or Gemini CLI BeforeTool input on stdin and answers allow, ask or deny in that CLI's format")
    .option('--allow-root <dir>', 'a directory the agent may read and write (repeat the flag for more)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--config <file>', 'take the command lists and allowed roots from this orchestrate.config.json (its safety section)')
    .addOption(new Option('--confirm-as <decision>', 'what Claude gets for a command that needs confirmation').choices(['ask', 'deny']).default('ask'))
    .option('--confirm-dir <dir>', "wait for the user's answer (written by the orchestrator) in this folder instead")
    .option('--confirm-timeout <seconds>', 'how long to wait for that answer before denying (default 300)', (v) => parseSeconds(v))
    .addHelpText('after', '\nExit codes: 0 allow (or Claude "ask" JSON on stdout), 2 deny (the reason on stderr). Every error denies.')
    .action(async (options: { allowRoot: string[]; config?: string; confirmAs: 'ask' | 'deny'; confirmDir?: string; confirmTimeout?: number }) => {
      try {
        const { runGuard } = await import('./cli/guard.js');
        process.exitCode = await runGuard(options, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
      } catch (error) {
        // Any exit code but 2 lets the tool run: a guard that cannot even load must still deny.
        process.stderr.write(`orchestrate guard denied the tool call: the guard failed to start (${error instanceof Error ? error.message : String(error)}).\n`);
        process.exitCode = 2;
      }
    });

  program
    .command('mcp')
    .description("the orchestrator's reporting channel: an MCP server on stdio that agents are configured with")
    .action(async () => {
      const { runReportingServer } = await import('./reporting/mcp-server.js');
      await runReportingServer();
    });

  program
    .command('demo')
    .description('a complete session on a throw-away repository with no API key: real CLIs against the built-in mock model provider, fakes for missing ones')
    .option('-w, --workspace <dir>', 'where session files go (default: $ORCHESTRATOR_WORKSPACE or the XDG data directory)')
    .option('-p, --port <n>', 'dashboard port', (v) => parsePort(v), 8000)
    .option('--no-dashboard', 'run without the web dashboard')
    .option('--no-tui', 'plain progress lines instead of the terminal UI (also without a TTY or with CI=true)')
    .option('-v, --verbose', 'debug-level orchestrator log')
    .option('--json', 'print one JSON summary at the end (progress goes to stderr)')
    .addOption(new Option('--agents <which>', 'real CLIs when installed (auto), only real ones, or only the fakes').choices(['auto', 'real', 'fake']).default('auto'))
    .addOption(new Option('--inspect [mode]', 'log every statechart inspection record to <workspace>/<session>/inspect.jsonl (events redacted, or "full")').choices(['redacted', 'full']).preset('redacted'))
    .action(async (options: { workspace?: string; port: number; dashboard: boolean; tui: boolean; verbose?: boolean; json?: boolean; agents: 'auto' | 'real' | 'fake'; inspect?: 'redacted' | 'full' }) => {
      const { runDemo } = await import('./cli/demo.js');
      process.exitCode = await runDemo(options, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
    });

  program
    .command('mock-provider')
    .description('a model server on 127.0.0.1 that answers Claude Code, Codex and Gemini CLI from a script (offline runs and tests)')
    .requiredOption('-s, --script <file>', 'the script: rules in JSON or YAML (see docs/mock-provider.md)')
    .option('-p, --port <n>', 'port to listen on (0 = any free port)', (v) => parsePort(v), 0)
    .option('--log <file>', 'append every request and the answer chosen to this JSONL file')
    .action(async (options: { script: string; port: number; log?: string }) => {
      const { runMockProvider } = await import('./cli/mock-provider.js');
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      process.exitCode = await runMockProvider(options, process.stdout, process.stderr, stop.signal);
    });

  return program;
}

interface RunCliOptions {
  target?: string;
  workspace?: string;
  config?: string;
  port: number;
  host?: string;
  dashboard: boolean;
  verbose?: boolean;
  json?: boolean;
  tui: boolean;
  detach?: boolean;
  store?: string;
  remote?: boolean;
  inspect?: 'redacted' | 'full';
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535.');
  return n;
}

interface TranslateCliOptions {
  agent: 'claude' | 'codex' | 'gemini' | 'jsonl';
  exitCode?: number;
  stderr?: string;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('expected a whole number from 1 to 64.');
  return n;
}

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 86_400) throw new InvalidArgumentError('expected whole seconds from 1 to 86400.');
  return n;
}

function parseExitCode(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 255) throw new InvalidArgumentError('expected an integer from 0 to 255.');
  return n;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" to commander's exitOverride, but successes to the user.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      if (error.code === 'commander.executeSubCommandAsync') return error.exitCode;
      return EXIT_USAGE;
    }
    console.error(`orchestrate: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
