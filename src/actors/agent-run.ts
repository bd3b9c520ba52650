import { once } from 'node:events';
import { createWriteStream, existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { execa, type ResultPromise } from 'execa';
import type { AgentAdapter, ExitInfo, LaunchSpec } from '../agents/types.js';
import { draft, truncate } from '../agents/common/events.js';
import type { AgentEventDraft, AgentEventInput } from '../protocol/index.js';
import { LineSplitter, type SplitChunk } from './line-splitter.js';
import { forgetGroup, registerGroup, terminateGroup } from './process-registry.js';
import { BoundedText } from './bounded-text.js';

const ERROR_EVENTS_KEPT = 200;
/**
 * How much the raw copy may hold unwritten before reading the agent pauses. With the
 * default 16 KiB a chatty agent paused every ~30 events to wait for the disk, which cut each
 * event-loop turn (one log transaction, one socket write per client) short; 256 KiB holds a few
 * turns of a flood and stays small with 50 agents.
 */
const COPY_BUFFER_BYTES = 256 * 1024;
/**
 * How many chunks of output (up to 64 KiB each) may wait for their commit before reading the
 * agent pauses: memory stays bounded (≤ 4 MiB of output per run) when the log is slower than the
 * agent (a remote store, a busy disk). A flood's batch on the writer thread holds ~10 chunks, and
 * the next must be read meanwhile: in the pipeline benchmark 4 cost ~10% of its throughput, 16
 * ~4%, 64 nothing measurable against no bound.
 */
const UNCOMMITTED_CHUNKS = 64;

export interface AgentRunOptions {
  sessionId: string;
  workerId: string;
  agent: string;
  attempt: number;
  adapter: AgentAdapter;
  spec: LaunchSpec;
  /** `workspace/<session>`: the raw output goes to its `raw/` (the log's copies beside it: runtime/agent-copies.ts). */
  sessionDir: string;
  maxLineBytes: number;
  stderrTailBytes: number;
  killGraceMs: number;
  now?: () => Date;
}

export interface AgentRunExit extends ExitInfo {
  stderrTail: string;
  stoppedByRequest: boolean;
  /** The last error/blocker events of this run, for recovery classifiers. */
  errorEvents: AgentEventDraft[];
}

export interface AgentRunHandlers {
  onSpawn(pid: number): void;
  /**
   * The events of one chunk of output (or of the exit), in order. A chatty agent's chunk carries
   * dozens of lines: handing them on together lets the log commit and the machine take them in
   * one step each instead of one per event.
   */
  onEvents(events: AgentEventInput[]): void;
  /** Runs `fn` once the events handed to onEvents so far are committed (when events go to a log). */
  afterCommit?: (fn: () => void, lost?: () => void) => void;
}

/**
 * One launch of one agent: spawn in its own process group, read stdout line by line
 * (bounded), translate, stamp, append to the workspace files, hand events on.
 * Policy (retry, relaunch, escalation) is not decided here.
 */
export class AgentRun {
  private child: ResultPromise | undefined;
  private stopRequested = false;
  /** The group was reaped: a later stop() must not signal a pid that may belong to someone else now. */
  private finished = false;
  /** A log file that failed (disk full, too many files); reported with the exit, never thrown. */
  private ioError: Error | undefined;
  private readonly stderr: BoundedText;
  private readonly errorEvents: AgentEventDraft[] = [];
  private state: unknown;
  /** Chunks whose events were handed on and are not committed yet, and reading's way on once fewer are. */
  private uncommitted = 0;
  private resume: (() => void) | undefined;

  constructor(
    private readonly options: AgentRunOptions,
    private readonly handlers: AgentRunHandlers,
  ) {
    this.stderr = new BoundedText(options.stderrTailBytes);
    this.state = options.adapter.initialState();
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The recent error/blocker events and stderr tail, for a classifier while the agent runs. */
  get evidence(): { events: readonly AgentEventDraft[]; stderr: string } {
    return { events: this.errorEvents, stderr: this.stderr.text };
  }

  async run(): Promise<AgentRunExit> {
    const { spec, sessionDir, agent } = this.options;
    mkdirSync(sessionDir, { recursive: true });
    writeLaunchFiles(spec);
    // Raw copies are per run: runs of one agent (reviews) overlap in time, and a raw stream is
    // only readable whole.
    let rawBase = rawPathOf(sessionDir, this.options.workerId, this.options.attempt, agent);
    mkdirSync(dirname(rawBase), { recursive: true });
    // The same run relaunched after a restart gets its own file (`~2`, `~3`, ...).
    for (let n = 2, base = rawBase; existsSync(`${rawBase}.stdout.log`); n++) rawBase = `${base}~${n}`;
    const raw = createWriteStream(`${rawBase}.stdout.log`, { flags: 'a', highWaterMark: COPY_BUFFER_BYTES });
    const rawErr = createWriteStream(`${rawBase}.stderr.log`, { flags: 'a' });
    for (const stream of [raw, rawErr]) {
      stream.on('error', (error) => {
        this.ioError ??= error;
      });
    }
    try {
      const child = execa(spec.command, spec.args, {
        cwd: spec.cwd,
        env: spec.env,
        extendEnv: true,
        detached: true,
        cleanup: false,
        buffer: false,
        reject: false,
        stripFinalNewline: false,
        ...(spec.input === undefined ? { stdin: 'ignore' as const } : { input: spec.input }),
      });
      this.child = child;
      child.catch(() => undefined);
      if (child.pid === undefined) return await this.spawnFailed(child);
      registerGroup(child.pid);
      this.handlers.onSpawn(child.pid);
      if (this.stopRequested) void terminateGroup(child.pid, this.options.killGraceMs);

      child.stderr.on('data', (chunk: Buffer) => {
        this.stderr.append(chunk.toString('utf8'));
        rawErr.write(chunk);
      });
      const reading = pipeline(child.stdout, this.sink(raw));
      const [result] = await Promise.all([child, reading]);
      const exit: ExitInfo = { exitCode: result.exitCode ?? null, signal: result.signal ?? null };
      for (const d of this.options.adapter.finish(this.state, exit)) this.emit(d);
      if (this.ioError) this.emit(draft('error', { kind: 'io.failed', text: `writing the raw output copy failed: ${this.ioError.message}`, severity: 'warning' }));
      this.emit(exitEvent(exit, this.stopRequested, this.stderr.text));
      // Whatever the agent left running in its group (servers, watchers) goes with it.
      await terminateGroup(child.pid, 0);
      forgetGroup(child.pid);
      this.finished = true;
      return { ...exit, stderrTail: this.stderr.text, stoppedByRequest: this.stopRequested, errorEvents: this.errorEvents };
    } finally {
      // The raw copy's last lines wait for their commit (which may land on another thread):
      // the files close after them, or once the log refused them.
      const gate = this.handlers.afterCommit;
      if (gate) await new Promise<void>((resolve) => gate(resolve, resolve));
      await Promise.all([raw, rawErr].map(closeStream));
    }
  }

  /** Graceful stop: SIGTERM to the whole group, SIGKILL after the grace period. */
  stop(): void {
    this.stopRequested = true;
    if (this.finished) return;
    const pid = this.child?.pid;
    if (pid !== undefined) void terminateGroup(pid, this.options.killGraceMs);
  }

  private sink(raw: WriteStream): Writable {
    const splitter = new LineSplitter(this.options.maxLineBytes);
    return new Writable({
      write: (chunk: Buffer, _enc, callback) => this.take(splitter.push(chunk), raw, callback),
      final: (callback) => this.take(splitter.end(), raw, callback),
    });
  }

  /** Translates a chunk's lines and hands their events on together, then copies the raw lines. */
  private take({ units, raw: rawParts }: SplitChunk, raw: WriteStream, callback: (error?: Error | null) => void): void {
    if (units.length === 0) return callback();
    // One arrival time for the chunk: its lines were read in the same instant.
    const now = this.now();
    const batch: AgentEventInput[] = [];
    for (const unit of units) {
      if (unit.kind === 'line') {
        for (const d of this.translate(unit.text)) batch.push(this.stamp(d, now));
      } else {
        batch.push(this.stamp(overflowEvent(unit, this.options.maxLineBytes), now));
      }
    }
    if (batch.length > 0) this.handlers.onEvents(batch);
    // The raw copy only shows lines whose events are committed (when there is a log): after a
    // crash, every line in it is provably in the event log.
    const copy = (): void => {
      for (const part of rawParts) raw.write(part);
    };
    const gate = this.handlers.afterCommit;
    if (gate) {
      this.uncommitted += 1;
      gate(
        () => {
          copy();
          this.landed();
        },
        () => this.landed(),
      );
    } else copy();
    // Backpressure: reading waits while the log is behind, then while the raw copy catches up.
    const goOn = (): void => {
      if (!raw.writableNeedDrain) callback();
      else once(raw, 'drain').then(() => callback(), callback);
    };
    if (this.uncommitted >= UNCOMMITTED_CHUNKS) this.resume = goOn;
    else goOn();
  }

  /** A chunk's events were committed (or refused): reading goes on once few enough wait. */
  private landed(): void {
    this.uncommitted -= 1;
    const resume = this.resume;
    if (resume === undefined || this.uncommitted >= UNCOMMITTED_CHUNKS) return;
    this.resume = undefined;
    resume();
  }

  private translate(line: string): AgentEventDraft[] {
    if (line.length === 0) return [];
    const result = this.options.adapter.translate(line, this.state);
    this.state = result.state;
    return result.events;
  }

  private now(): string {
    return (this.options.now ? this.options.now() : new Date()).toISOString();
  }

  private stamp(d: AgentEventDraft, now: string): AgentEventInput {
    const { sessionId, workerId, agent, attempt } = this.options;
    // The evidence classifiers get: failures, and the guard's refusals, which explain the
    // "permission denials" a CLI reports for the calls the guard held back.
    if (d.type === 'error' || d.type === 'blocker' || (d.type === 'finding' && d.payload.kind === 'policy.refused')) {
      this.errorEvents.push(d);
      // Classifiers need the recent failures, not a flood's worth of them.
      if (this.errorEvents.length > ERROR_EVENTS_KEPT) this.errorEvents.shift();
    }
    const timestamp = d.timestamp ?? now;
    // Two literals, not a conditional spread: the spread made a throw-away object per event.
    return d.usage
      ? { type: d.type, agent, timestamp, payload: d.payload, usage: d.usage, sessionId, workerId, attempt }
      : { type: d.type, agent, timestamp, payload: d.payload, sessionId, workerId, attempt };
  }

  private emit(d: AgentEventDraft): void {
    this.handlers.onEvents([this.stamp(d, this.now())]);
  }

  private async spawnFailed(child: ResultPromise): Promise<AgentRunExit> {
    const result = await child;
    const message = (result.failed ? result.shortMessage : undefined) ?? `could not start ${this.options.spec.command}`;
    this.emit(draft('error', { kind: 'process.spawn_failed', text: message }));
    return { exitCode: null, signal: null, stderrTail: message, stoppedByRequest: this.stopRequested, errorEvents: this.errorEvents };
  }
}

/** `raw/<worker>-<attempt>-<agent>` (worker ids of reviewers contain "/", kept out of the path). */
export function rawPathOf(sessionDir: string, workerId: string, attempt: number, agent: string): string {
  return join(sessionDir, 'raw', `${workerId.replace(/[^A-Za-z0-9_.-]/g, '_')}-${attempt}-${agent}`);
}

export function writeLaunchFiles(spec: LaunchSpec): void {
  for (const file of spec.files) {
    if (file.linkTo !== undefined) {
      linkOnce(file.path, file.linkTo);
      continue;
    }
    if (file.ifMissing && existsSync(file.path)) continue;
    mkdirSync(dirname(file.path), { recursive: true });
    const content = file.mergeJsonFrom || file.jsonDefaults ? mergedJson(file.mergeJsonFrom, file.content, file.jsonDefaults) : file.content;
    writeFileSync(file.path, content, { mode: 0o600 });
  }
}

function linkOnce(path: string, target: string): void {
  if (!existsSync(target)) return;
  try {
    lstatSync(path);
    return;
  } catch {
    // Not there yet: make the link.
  }
  mkdirSync(dirname(path), { recursive: true });
  symlinkSync(target, path);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prior = out[key];
    out[key] = isObject(prior) && isObject(value) ? deepMerge(prior, value) : value;
  }
  return out;
}

function readJsonObject(path: string | undefined): Record<string, unknown> {
  if (path === undefined) return {};
  try {
    const value: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return isObject(value) ? value : {};
  } catch {
    // No settings there yet (the usual case), or ones the CLI itself could not read either.
    return {};
  }
}

/** `defaults`, then the settings in `basePath`, then `content`, each deep-merged over the one before. */
export function mergedJson(basePath: string | undefined, content: string, defaults: Record<string, unknown> = {}): string {
  const over: unknown = JSON.parse(content);
  if (!isObject(over)) return content;
  return `${JSON.stringify(deepMerge(deepMerge(defaults, readJsonObject(basePath)), over), null, 2)}\n`;
}

function overflowEvent(unit: { prefix: string; bytes: number }, max: number): AgentEventDraft {
  return draft('error', {
    kind: 'stream.line_too_long',
    text: `an output line of ${unit.bytes} bytes exceeded the ${max}-byte limit and was cut; reading continues`,
    raw: truncate(unit.prefix),
    severity: 'warning',
  });
}

function exitEvent(exit: ExitInfo, stopped: boolean, stderr: string): AgentEventDraft {
  const how = exit.signal ? `was ended by ${exit.signal}` : `exited with code ${String(exit.exitCode)}`;
  const clean = exit.exitCode === 0 || (stopped && exit.signal !== null);
  const lastStderr = stderr.trim().split('\n').slice(-3).join('\n');
  return draft(clean ? 'status' : 'error', {
    kind: 'process.exited',
    text: `agent process ${how}${stopped ? ' after a stop request' : ''}${!clean && lastStderr ? `: ${truncate(lastStderr, 500)}` : ''}`,
    exitCode: exit.exitCode,
    signal: exit.signal,
    stopped,
  });
}

async function closeStream(stream: WriteStream): Promise<void> {
  if (stream.closed) return;
  stream.end();
  await once(stream, 'close');
}
