import type { EventLog, LogEntry } from '../persistence/types.js';
import type { SessionBus } from '../runtime/recorder.js';

const PAGE = 2000;

export type FeedError = { kind: 'store_read_failed'; message: string };
type OnError = (error: FeedError) => void;

function readPage(log: EventLog, sessionId: string, after: number, onError: OnError): LogEntry[] | undefined {
  try {
    return log.read(sessionId, { afterSeq: after, limit: PAGE });
  } catch (error) {
    onError({ kind: 'store_read_failed', message: error instanceof Error ? error.message : String(error) });
    return undefined;
  }
}

/**
 * A session in this process: its history from the store, then the live bus. Bus entries that
 * arrive while the history is read are held and given after it, so entries reach the sink in
 * seq order, each once. Pages are read one per event-loop turn, so a
 * long history does not freeze the screen. The sink is never called before this returns.
 */
export function feedFromBus(log: EventLog, sessionId: string, bus: SessionBus, sink: (entries: readonly LogEntry[]) => void, onError: OnError): () => void {
  let replaying = true;
  let stopped = false;
  const held: LogEntry[] = [];
  let after = 0;
  const onEntries = (entries: readonly LogEntry[]): void => {
    if (replaying) {
      for (const e of entries) held.push(e);
      return;
    }
    const newer = entries.filter((e) => e.seq > after);
    const newest = newer.at(-1);
    if (!newest) return;
    after = newest.seq;
    sink(newer);
  };
  bus.on('entries', onEntries);
  const page = (): void => {
    if (stopped) return;
    const rows = readPage(log, sessionId, after, onError) ?? [];
    const last = rows.at(-1);
    if (last) {
      sink(rows);
      after = last.seq;
      setImmediate(page);
      return;
    }
    replaying = false;
    // Held entries that the last pages already had are dropped: each seq reaches the sink once.
    const newer = held.splice(0).filter((e) => e.seq > after);
    const newest = newer.at(-1);
    if (newest) after = newest.seq;
    sink(newer);
  };
  setImmediate(page);
  return () => {
    stopped = true;
    bus.off('entries', onEntries);
  };
}

/**
 * A session driven by another process (or one that has ended): poll the store by seq. SQLite in
 * WAL mode lets this reader see each committed transaction without blocking the writer.
 */
export function feedFromStore(log: EventLog, sessionId: string, sink: (entries: readonly LogEntry[]) => void, onError: OnError, intervalMs = 250): () => void {
  let after = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const poll = (): void => {
    if (stopped) return;
    // A failed read is reported and retried at the next poll.
    const rows = readPage(log, sessionId, after, onError) ?? [];
    const last = rows.at(-1);
    if (last) {
      sink(rows);
      after = last.seq;
    }
    // A full page means more is waiting: read it on the next turn instead of after the interval.
    if (rows.length === PAGE) setImmediate(poll);
    else timer = setTimeout(poll, intervalMs);
  };
  setImmediate(poll);
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
