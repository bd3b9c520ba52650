import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ORCHESTRATOR_AGENT, type LogEntry } from '../persistence/types.js';
import { jsonLines } from '../protocol/envelope.js';
import { AgentName } from '../protocol/index.js';
import type { SessionRecorder } from './recorder.js';

/** A flood's batch fits (~500 entries); a rare larger one gets bytes of its own. */
const ROOM_KEPT_BYTES = 4 * 1024 * 1024;
/**
 * The bytes every write is made in, one for the process (50 sessions in one process need not
 * hold 50): written synchronously, they are free again as soon as a write returns.
 */
let room = Buffer.allocUnsafe(0);
const alloc = (size: number): Buffer => {
  if (size > ROOM_KEPT_BYTES) return Buffer.allocUnsafe(size);
  if (size > room.length) room = Buffer.allocUnsafe(Math.min(ROOM_KEPT_BYTES, Math.max(size, 2 * room.length)));
  return room;
};

export interface CopyFailure {
  kind: 'copy.failed';
  agent: string;
  file: string;
  message: string;
}

/**
 * The workspace's `<agent>.jsonl` files (`tail -f` them to follow an agent): each agent's
 * entries as this process publishes them (committed batches, in seq order), as the envelope a
 * live client gets, one per line. Written from the log, so a line is there only once its entry is
 * committed (after a crash every line is in the log, seq and all). Remote runs' entries are
 * copied on this host as their followers hand them on: one run's in order, but two runs of one
 * agent (a review beside the work) may interleave out of seq order, and what a worker committed
 * while no orchestrator followed it is in the log only.
 *
 * Synchronous appends: each run of one agent's consecutive entries in a batch is one write (a
 * copy of the frame the clients get; 31 ms of a 2.4 s flood's profile), ordered with the log
 * and without a queue that could grow behind a slow disk. The agent's raw output, far larger, stays
 * an asynchronous stream with backpressure (actors/agent-run.ts).
 */
export class AgentCopies {
  /** Per agent, its file's descriptor, or null once it failed (reported once, then skipped). */
  private readonly files = new Map<string, number | null>();
  private closed = false;

  constructor(
    private readonly sessionDir: string,
    private readonly onError: (failure: CopyFailure) => void,
  ) {}

  /** A published batch: each run of one agent's entries in one write. Nothing after close(). */
  write(entries: readonly LogEntry[]): void {
    if (this.closed) return;
    for (let from = 0; from < entries.length; ) {
      const agent = entries[from]?.agent;
      let to = from + 1;
      while (to < entries.length && entries[to]?.agent === agent) to++;
      if (agent !== undefined && agent !== ORCHESTRATOR_AGENT) this.append(agent, entries, from, to);
      from = to;
    }
  }

  close(): void {
    this.closed = true;
    for (const [agent, fd] of this.files) {
      if (fd === null) continue;
      this.files.set(agent, null);
      try {
        closeSync(fd);
      } catch (error) {
        this.failed(agent, error);
      }
    }
  }

  private append(agent: string, entries: readonly LogEntry[], from: number, to: number): void {
    const fd = this.fileOf(agent);
    if (fd === null) return;
    const bytes = jsonLines(entries, from, to, alloc);
    try {
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
    } catch (error) {
      this.files.set(agent, null);
      this.failed(agent, error);
    }
  }

  private fileOf(agent: string): number | null {
    const held = this.files.get(agent);
    if (held !== undefined) return held;
    // Entries followed from other hosts name their agent themselves: it must stay a file name.
    if (!AgentName.safeParse(agent).success) {
      this.files.set(agent, null);
      this.failed(agent, new Error(`"${agent}" is not an agent name; its entries are not copied`));
      return null;
    }
    try {
      mkdirSync(this.sessionDir, { recursive: true });
      const fd = openSync(this.pathOf(agent), 'a');
      this.files.set(agent, fd);
      return fd;
    } catch (error) {
      this.files.set(agent, null);
      this.failed(agent, error);
      return null;
    }
  }

  private pathOf(agent: string): string {
    return join(this.sessionDir, `${agent}.jsonl`);
  }

  private failed(agent: string, error: unknown): void {
    this.onError({ kind: 'copy.failed', agent, file: this.pathOf(agent), message: error instanceof Error ? error.message : String(error) });
  }
}

/**
 * A session's copies, fed by its bus until `close()`. A copy that fails is said once, in the
 * session's own log and as a `workspace.copy_failed` record (the dashboard and the TUI show it).
 */
export function copyFromLog(recorder: SessionRecorder, sessionDir: string, log: Logger): AgentCopies {
  const copies = new AgentCopies(sessionDir, (failure) => {
    const text = `${failure.file} could not be written (${failure.message}); that copy stops here, the event log itself is complete`;
    log.error({ failure }, text);
    recorder.note('workspace.copy_failed', { text, ...failure });
  });
  recorder.bus.on('entries', (entries) => copies.write(entries));
  return copies;
}
