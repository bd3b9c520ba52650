import type { LogEntry } from '../persistence/types.js';
import { feedFromStore } from '../tui/feed.js';
import { tuiTerminal } from '../tui/terminal.js';
import { applyEntries, initialView, toLogLine } from '../view/index.js';
import { EXIT, openStore, workspaceOf, type RunIo } from './run.js';

const FINAL = ['completed', 'failed', 'stopped'];

/**
 * `orchestrate attach <session>`: the terminal UI over the session's log in the store, live
 * while another process drives it. Controls need the process that owns the session's actor (or
 * the dashboard's HTTP controls), so here they are read-only, and the UI says so.
 */
export async function runAttach(sessionId: string, options: { workspace?: string; tui: boolean; store?: string }, io: RunIo): Promise<number> {
  const store = openStore(workspaceOf(options, io.env), io, { mustExist: true, store: options.store });
  if (!store) return EXIT.failed;
  try {
    const record = store.get(sessionId);
    if (!record) {
      io.stderr.write(`orchestrate: no session "${sessionId}" in ${store.path} (orchestrate sessions lists them)\n`);
      return EXIT.failed;
    }
    const term = options.tui ? tuiTerminal(io) : undefined;
    if (!term) return await followPlain(store, sessionId, io);
    const readOnly = FINAL.includes(record.status)
      ? `the session has ended (${record.status})`
      : `steer it from the process that runs it (or orchestrate resume ${sessionId} if none does)`;
    const { startTui } = await import('../tui/start.js');
    await startTui({ ...term, sessionId, task: record.task, log: store, readOnly, env: io.env }).done;
    return EXIT.completed;
  } finally {
    store.close();
  }
}

const plainLine = (e: LogEntry): string => {
  const l = toLogLine(e);
  const who = l.agent === 'orchestrate' ? 'orchestrate' : `${l.workerId}(${l.agent})`;
  return `${l.seq} ${l.at} ${who} ${l.type}${l.kind ? `/${l.kind}` : ''}: ${l.text}\n`;
};

/** Without a terminal UI: every log line, then new ones as they are committed, until the session ends. */
function followPlain(store: NonNullable<ReturnType<typeof openStore>>, sessionId: string, io: RunIo): Promise<number> {
  return new Promise((resolve) => {
    let view = initialView(sessionId, { logCapacity: 1 });
    const stop = feedFromStore(
      store,
      sessionId,
      (entries) => {
        // Statechart transitions are what `orchestrate inspect` and the inspector page are for.
        for (const e of entries) if (e.type !== 'machine.transition') io.stdout.write(plainLine(e));
        view = applyEntries(view, entries);
        if (view.ended) {
          stop();
          resolve(EXIT.completed);
        }
      },
      (error) => {
        io.stderr.write(`orchestrate: ${error.kind}: ${error.message}\n`);
        stop();
        resolve(EXIT.failed);
      },
    );
  });
}
