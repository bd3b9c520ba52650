import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Readable, Writable } from 'node:stream';
import { loadConfig } from '../config/load.js';
import { CLI_ENTRY } from '../package-root.js';
import type { SessionEvent } from '../machines/session.js';
import { openStoreAt, storeSpec } from '../persistence/open.js';
import { StoreError } from '../persistence/store-error.js';
import type { Store } from '../persistence/types.js';
import { probeAgents } from '../probe/probe.js';
import { renderDoctor } from '../probe/render.js';
import { chooseTier } from '../probe/tiers.js';
import { leaseTtlFromEnv } from '../runtime/lease.js';
import { resumeSession, startSession, type ResumeError, type SessionHandle, type SessionSummary } from '../runtime/run-session.js';
import { defaultWorkspace, newSessionId } from '../runtime/workspace.js';
import { tuiTerminal, type Terminal } from '../tui/terminal.js';
import { openRemote } from './remote.js';
import { stopSignals, type StopSignals } from './stop-signals.js';
import type { Dashboard, startDashboard as StartDashboard } from './dashboard.js';

/**
 * The server (Fastify and its plugins) is loaded when the dashboard starts, after the session
 * has: imported up front, it delayed the first agent's launch by a third of a second or more.
 */
const startDashboard = async (...args: Parameters<typeof StartDashboard>): Promise<Dashboard | undefined> =>
  (await import('./dashboard.js')).startDashboard(...args);

/** Exit codes, documented in the README. */
export const EXIT = { completed: 0, failed: 1, usage: 2, escalated: 3, clarification: 4, paused: 5, stopped: 130 } as const;

export interface RunOptions {
  target?: string;
  workspace?: string;
  config?: string;
  port?: number;
  host?: string;
  dashboard: boolean;
  verbose?: boolean;
  json?: boolean;
  /** The terminal UI (default on; used only on a TTY outside CI, and never with --json). */
  tui?: boolean;
  /** Quitting the terminal UI leaves the session running (as a dashboard does). */
  detach?: boolean;
  /** Agent runs go to the queue for `orchestrate worker`s (needs a PostgreSQL store). */
  remote?: boolean;
  /** sqlite://PATH or postgres://... (else ORCHESTRATE_STORE, the config's `store`, the workspace's file). */
  store?: string;
  /** `--inspect`: statechart inspection records to `<session>/inspect.jsonl`. */
  inspect?: 'redacted' | 'full' | undefined;
}

export interface RunIo {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
}

export const storePath = (workspace: string): string => join(workspace, 'orchestrate.db');
export const workspaceOf = (options: { workspace?: string | undefined }, env: NodeJS.ProcessEnv): string =>
  options.workspace ? resolve(options.workspace) : defaultWorkspace(env);

/**
 * Opens the store (`--store`, ORCHESTRATE_STORE, the config's `store`, else the workspace's
 * SQLite file), or explains on stderr why not (a corrupt file, a newer schema, no server).
 */
export function openStore(
  workspace: string,
  io: RunIo,
  options: { mustExist?: boolean; readonly?: boolean; store?: string | undefined; configStore?: string | undefined } = {},
): Store | undefined {
  const spec = storeSpec({ flag: options.store, env: io.env.ORCHESTRATE_STORE, config: options.configStore }, workspace);
  const store = spec instanceof StoreError ? spec : openStoreAt(spec, options);
  if (store instanceof StoreError) {
    const hint = !(spec instanceof StoreError) && spec.kind === 'sqlite' ? ' (use --workspace, or ORCHESTRATOR_WORKSPACE, or --store)' : '';
    io.stderr.write(`orchestrate: ${store.message}${hint}\n`);
    return undefined;
  }
  return store;
}

const leaseTtl = (env: NodeJS.ProcessEnv): { leaseTtlMs: number } => ({ leaseTtlMs: leaseTtlFromEnv(env) });

const cliEntry = (): string => CLI_ENTRY;
const logLevel = (options: { verbose?: boolean | undefined }, env: NodeJS.ProcessEnv): string =>
  options.verbose ? 'debug' : (env.ORCHESTRATOR_LOG_LEVEL ?? 'info').toLowerCase();

/** `orchestrate "task"`: plan, implement, review, decide — until the session ends or needs a person. */
export async function runTask(task: string, options: RunOptions, io: RunIo): Promise<number> {
  const err = (line: string): boolean => io.stderr.write(`${line}\n`);
  const target = resolve(options.target ?? process.cwd());
  if (!existsSync(target) || !statSync(target).isDirectory()) {
    err(`orchestrate: --target ${target} is not a directory`);
    return EXIT.usage;
  }
  const loaded = loadConfig({ target, ...(options.config ? { configPath: resolve(options.config) } : {}) });
  if (!loaded.ok) {
    for (const e of loaded.errors) err(e);
    err('orchestrate: nothing was started; fix the configuration and run again.');
    return EXIT.usage;
  }
  const probes = await probeAgents(loaded.config, io.env);
  const tier = chooseTier(loaded.config.roles, probes);
  if (!tier.ok) {
    err(renderDoctor(probes, tier));
    return EXIT.failed;
  }
  const workspace = workspaceOf(options, io.env);
  const store = openStore(workspace, io, { store: options.store, configStore: loaded.config.store });
  if (!store) return EXIT.failed;
  const remote = options.remote ? await openRemote(store, io) : undefined;
  if (remote && 'kind' in remote) {
    store.close();
    return remote.kind === 'usage' ? EXIT.usage : EXIT.failed;
  }
  const signals = stopSignals();
  try {
    const handle = await startSession(
      { sessionId: newSessionId(), task, target, workspace, config: loaded.config, configSource: loaded.source, tier },
      { store, logLevel: logLevel(options, io.env), cliEntry: cliEntry(), onNotice: noticeTo(options, io), inspect: options.inspect, ...leaseTtl(io.env), ...(remote ? { remote } : {}) },
    );
    stopWith(signals, handle);
    const out = options.json ? io.stderr : io.stdout;
    const dashboard = options.dashboard && !('kind' in handle) ? await startDashboard(store, handle, options, out) : undefined;
    return await drive(handle, store, options, io, signals, dashboard);
  } finally {
    signals.dispose();
    await remote?.queue.close();
  }
}

/** `orchestrate resume <session>`: continue a session after a crash or a stop of the orchestrator. */
export async function runResume(
  sessionId: string,
  options: Pick<RunOptions, 'workspace' | 'verbose' | 'json' | 'tui' | 'port' | 'host' | 'store' | 'remote' | 'inspect'> & { dashboard?: boolean },
  io: RunIo,
): Promise<number> {
  const store = openStore(workspaceOf(options, io.env), io, { mustExist: true, store: options.store });
  if (!store) return EXIT.failed;
  const remote = options.remote ? await openRemote(store, io) : undefined;
  if (remote && 'kind' in remote) {
    store.close();
    return remote.kind === 'usage' ? EXIT.usage : EXIT.failed;
  }
  const signals = stopSignals();
  try {
    const handle = await resumeSession(sessionId, { store, logLevel: logLevel(options, io.env), cliEntry: cliEntry(), onNotice: noticeTo(options, io), inspect: options.inspect, ...leaseTtl(io.env), ...(remote ? { remote } : {}) });
    stopWith(signals, handle);
    const out = options.json ? io.stderr : io.stdout;
    const dashboard = options.dashboard !== false && !('kind' in handle) ? await startDashboard(store, handle, options, out) : undefined;
    return await drive(handle, store, options, io, signals, dashboard);
  } finally {
    signals.dispose();
    await remote?.queue.close();
  }
}

/** The terminal for the UI, or undefined for plain lines (--no-tui, --json, no TTY, CI). */
const terminalFor = (options: Pick<RunOptions, 'json' | 'tui'>, io: RunIo): Terminal | undefined => (options.tui === false || options.json ? undefined : tuiTerminal(io));

/** Plain progress lines; none while the UI owns the screen (it shows the same log). */
function noticeTo(options: Pick<RunOptions, 'json' | 'tui'>, io: RunIo): (line: string) => void {
  if (terminalFor(options, io)) return () => undefined;
  const out = options.json ? io.stderr : io.stdout;
  return (line) => out.write(`${line}\n`);
}

/** A Ctrl-C from the moment the session exists (its first agent may be running already) stops it, then runs `also`. */
const stopWith = (signals: StopSignals, handle: SessionHandle | ResumeError, also?: () => void): void => {
  if ('kind' in handle) return;
  signals.bind(() => {
    handle.send({ type: 'user.stop' });
    also?.();
  });
};

async function drive(
  handle: SessionHandle | ResumeError,
  store: Store,
  options: Pick<RunOptions, 'json' | 'tui' | 'detach'>,
  io: RunIo,
  signals: StopSignals,
  dashboard?: Dashboard,
): Promise<number> {
  if ('kind' in handle) {
    io.stderr.write(`orchestrate: ${handle.message}\n`);
    store.close();
    return EXIT.failed;
  }
  const out = options.json ? io.stderr : io.stdout;
  out.write(`workspace: ${handle.sessionDir} (tail -f ${handle.sessionDir}/orchestrator.log)\n`);
  const term = terminalFor(options, io);
  // The UI answers escalations and questions in place; after it quits the session has ended or is stopping.
  const tui = term ? (await import('../tui/start.js')).startTui({ ...term, sessionId: handle.sessionId, log: store, live: {
          bus: handle.bus,
          send: (e) => handle.send(e),
          actor: handle.actor,
          confirm: (id, approve) => void handle.confirmations.answer(id, approve, approve ? undefined : 'rejected in the terminal UI'),
        },
        env: io.env,
        // With a dashboard the process stays up when the UI quits: the session is steered there.
        keepAlive: dashboard !== undefined || options.detach === true,
      }) : undefined;
  stopWith(signals, handle, () => tui?.close());
  const interactive = io.stdin.isTTY === true && io.env.CI !== 'true' && !tui;
  // A command that needs confirmation waits for an answer in the terminal UI or the dashboard;
  // with neither, nobody could give one, and the agent is told so at once.
  if (!tui && !dashboard) handle.confirmations.autoReject = 'nobody can confirm it in this run (no terminal UI and no dashboard)';
  try {
    await tui?.done;
    const running = tui !== undefined && handle.actor.getSnapshot().status === 'active';
    const onDashboard = running && dashboard !== undefined;
    if (onDashboard) io.stderr.write(`the terminal UI closed; the session goes on, steered on the dashboard: ${dashboard.server.url} (Ctrl-C stops)\n`);
    else if (running) {
      // --detach without a dashboard: nobody is left to answer, so it runs until it ends or waits.
      handle.confirmations.autoReject = 'nobody can confirm it any more (the terminal UI was closed)';
      io.stderr.write('the terminal UI closed; the session goes on in this process until it ends or waits for you (Ctrl-C stops)\n');
    }
    for (;;) {
      const summary = await handle.settled();
      if (await dashboard?.keepWaiting(summary, handle, onDashboard)) continue;
      const code = await settle(summary, interactive, io, (e) => handle.send(e));
      if (code === undefined) continue;
      if (options.json) io.stdout.write(`${JSON.stringify(summaryJson(summary))}\n`);
      else io.stdout.write(`session ${summary.sessionId}: ${summary.state}${summary.failure ? ` (${summary.failure})` : ''}\n`);
      return code;
    }
  } finally {
    // The agents a stop signalled report how they ended before the log closes (the dashboard's
    // clients see it too); a Ctrl-C meanwhile stops waiting for them.
    await handle.shutdown({
      giveUp: new Promise<void>((resolve) => signals.bind(resolve)),
      onWaiting: (n) => io.stderr.write(`orchestrate: waiting for ${n} agent process${n === 1 ? '' : 'es'} to exit (Ctrl-C stops waiting)\n`),
    });
    // A Ctrl-C while closing ends the process, as before the session existed.
    signals.dispose();
    await dashboard?.close();
    store.close();
  }
}

/** An exit code, or undefined when the user answered and the session goes on. */
async function settle(summary: SessionSummary, interactive: boolean, io: RunIo, send: (e: SessionEvent) => void): Promise<number | undefined> {
  const state = summary.state.split('.')[0];
  if (state === 'completed') return EXIT.completed;
  if (state === 'failed') return EXIT.failed;
  if (state === 'stopped') return EXIT.stopped;
  const ask = async (question: string): Promise<string> => {
    const rl = createInterface({ input: io.stdin, output: io.stderr });
    try {
      return (await rl.question(question)).trim();
    } finally {
      rl.close();
    }
  };
  if (state === 'escalated') {
    io.stderr.write(`escalated: ${summary.escalation?.reason ?? ''}\n${(summary.escalation?.suggestions ?? []).map((s) => `  - ${s}`).join('\n')}\n`);
    if (!interactive) return EXIT.escalated;
    const answer = await ask('approve and continue (a) or reject and end the session (x)? ');
    send(answer.toLowerCase().startsWith('a') ? { type: 'user.approve' } : { type: 'user.reject', reason: 'rejected at the terminal' });
    return undefined;
  }
  if (state === 'awaitingClarification') {
    io.stderr.write(`the reviewers need a clarification: ${summary.question ?? ''}\n`);
    if (!interactive) return EXIT.clarification;
    send({ type: 'user.clarify', text: await ask('your answer: ') });
    return undefined;
  }
  if (state === 'paused') {
    io.stderr.write(`paused${summary.failure ? `: ${summary.failure}` : ''}\n`);
    if (!interactive) return EXIT.paused;
    await ask('press enter to resume ');
    send({ type: 'user.resume' });
    return undefined;
  }
  return EXIT.failed;
}

function summaryJson(s: SessionSummary): Record<string, unknown> {
  return {
    sessionId: s.sessionId,
    state: s.state,
    tier: s.tier,
    tierReason: s.tierReason,
    workspace: s.sessionDir,
    decisions: s.decisions.map((d) => ({ reviewId: d.reviewId, action: d.action, reasons: d.reasons, inputs: d.inputs })),
    tokens: s.tokens,
    ...(s.escalation ? { escalation: s.escalation } : {}),
    ...(s.question ? { question: s.question } : {}),
    ...(s.failure ? { failure: s.failure } : {}),
  };
}
