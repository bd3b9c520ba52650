import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { EventWriter, WriterClosedError } from '../../src/persistence/event-writer.js';
import { SqliteStore } from '../../src/persistence/sqlite/store.js';
import type { EventLog, LogEntry } from '../../src/persistence/types.js';
import { tempDir } from '../helpers/fake-agents.js';
import { entry, inline, session } from './store-contract.js';

function open(): SqliteStore {
  return new SqliteStore(join(tempDir('orch-writer-'), 'orchestrate.db'));
}


const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe.each([
  ['on this thread', inline],
  ['on the store’s writer thread', (store: SqliteStore): EventLog => store],
])('EventWriter, committing %s', (_name, logOf) => {
  it('commits a turn’s appends in one batch, then publishes them as one batch, in order', async () => {
    const store = open();
    store.create(session('a'));
    const published: (readonly LogEntry[])[] = [];
    const acked: number[] = [];
    // The whole batch is published before any appender acts on its entry.
    const writer = new EventWriter(logOf(store), (batch) => published.push(batch), (e) => {
      throw e;
    });
    for (let i = 0; i < 5; i++) writer.append(entry('a', String(i)), (e) => acked.push(e.seq * (published.length === 1 ? 1 : -1)));
    expect(store.lastSeq('a')).toBe(0);
    expect(published).toHaveLength(0);
    await vi.waitFor(() => expect(published).toHaveLength(1));
    expect(store.lastSeq('a')).toBe(5);
    expect(published.map((batch) => batch.map((e) => e.seq))).toEqual([[1, 2, 3, 4, 5]]);
    expect(acked).toEqual([1, 2, 3, 4, 5]);
    expect(store.read('a').map((e) => e.payload.text)).toEqual(['0', '1', '2', '3', '4']);
    store.close();
  });

  it('reports a failed commit with the entries it could not keep', async () => {
    const store = open();
    const errors: unknown[] = [];
    const writer = new EventWriter(logOf(store), () => undefined, (e, lost) => errors.push([String(e), lost.length]));
    const seen: string[] = [];
    writer.append(entry('missing', 'x'));
    writer.afterCommit(
      () => seen.push('committed'),
      () => seen.push('lost'),
    );
    await vi.waitFor(() => expect(errors).toEqual([['Error: unknown session missing', 1]]));
    // Nothing waiting on the refused batch, or asking after it, is told it was committed.
    writer.afterCommit(
      () => seen.push('committed later'),
      () => seen.push('lost later'),
    );
    expect(seen).toEqual(['lost', 'lost later']);
    store.close();
  });

  it('commits what is pending at close, then hands later appends back as closed (not as a failed write)', async () => {
    const store = open();
    store.create(session('a'));
    const errors: [unknown, number][] = [];
    const writer = new EventWriter(logOf(store), () => undefined, (e, lost) => errors.push([e, lost.length]));
    writer.append(entry('a', 'in flight'));
    await turn();
    writer.append(entry('a', 'pending'));
    writer.close();
    expect(store.lastSeq('a')).toBe(2);
    writer.append(entry('a', 'late'));
    // Nothing may treat the refused append as logged (an agent's raw copy waits on this).
    const seen: string[] = [];
    writer.afterCommit(
      () => seen.push('committed'),
      () => seen.push('lost'),
    );
    expect(seen).toEqual(['lost']);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.[0]).toBeInstanceOf(WriterClosedError);
    expect(errors[0]).toEqual([expect.objectContaining({ kind: 'closed' }), 1]);
    expect(store.lastSeq('a')).toBe(2);
    store.close();
  });

  it('keeps the log’s order when a record that must commit on this thread follows a batch in flight', async () => {
    const store = open();
    store.create(session('a'));
    const published: number[][] = [];
    const order: string[] = [];
    const writer = new EventWriter(logOf(store), (batch) => published.push(batch.map((e) => e.seq)), (e) => {
      throw e;
    });
    for (let i = 0; i < 3; i++) writer.append(entry('a', `agent ${i}`));
    await turn();
    // Keyed (a lookup) and with rows of its own: these go through append() on this thread.
    writer.append({ ...entry('a', 'decision', 'k1'), withinCommit: () => order.push('withinCommit') }, (e) => order.push(`decision ${e.seq}`));
    writer.append(entry('a', 'after'));
    writer.afterCommit(() => order.push('all committed'));
    await vi.waitFor(() => expect(order).toContain('all committed'));
    expect(published.flat()).toEqual([1, 2, 3, 4, 5]);
    expect(order).toEqual(['withinCommit', 'decision 4', 'all committed']);
    expect(store.read('a').map((e) => e.payload.text)).toEqual(['agent 0', 'agent 1', 'agent 2', 'decision', 'after']);
    store.close();
  });

  it('flush() commits everything before it returns, a batch in flight included', async () => {
    const store = open();
    store.create(session('a'));
    const published: number[] = [];
    const writer = new EventWriter(logOf(store), (batch) => published.push(...batch.map((e) => e.seq)), (e) => {
      throw e;
    });
    writer.append(entry('a', 'first'));
    await turn();
    writer.append(entry('a', 'second'));
    writer.flush();
    expect(published).toEqual([1, 2]);
    expect(store.lastSeq('a')).toBe(2);
    store.close();
  });

  it('runs afterCommit at once when nothing is pending or in flight, and after the batch in flight otherwise', async () => {
    const store = open();
    store.create(session('a'));
    const writer = new EventWriter(logOf(store), () => undefined, (e) => {
      throw e;
    });
    const seen: string[] = [];
    writer.afterCommit(() => seen.push('idle'));
    expect(seen).toEqual(['idle']);
    writer.append(entry('a', 'x'));
    await turn();
    writer.afterCommit(() => seen.push(`landed at ${store.lastSeq('a')}`));
    await vi.waitFor(() => expect(seen).toEqual(['idle', 'landed at 1']));
    store.close();
  });
});

describe('EventWriter on the store’s writer thread', () => {
  it('commits agent events there and only the records that need it on this thread', async () => {
    const store = open();
    store.create(session('a'));
    const inline = vi.spyOn(store, 'append');
    const writer = new EventWriter(store, () => undefined, (e) => {
      throw e;
    });
    for (let i = 0; i < 3; i++) writer.append(entry('a', String(i)));
    await vi.waitFor(() => expect(store.lastSeq('a')).toBe(3));
    expect(inline).not.toHaveBeenCalled();
    writer.append(entry('a', 'keyed', 'k'));
    await vi.waitFor(() => expect(store.lastSeq('a')).toBe(4));
    expect(inline).toHaveBeenCalledTimes(1);
    store.close();
  });

  it('hands a batch appended while one is in flight on as the next batch, each published after it landed', async () => {
    const store = open();
    store.create(session('a'));
    const published: number[][] = [];
    const writer = new EventWriter(store, (batch) => published.push(batch.map((e) => e.seq)), (e) => {
      throw e;
    });
    writer.append(entry('a', '1'));
    await turn();
    // The first batch is on the thread: these wait for it, however many turns pass.
    writer.append(entry('a', '2'));
    await turn();
    writer.append(entry('a', '3'));
    await vi.waitFor(() => expect(published.flat()).toEqual([1, 2, 3]));
    expect(published[0]).toEqual([1]);
    expect(store.read('a').map((e) => e.seq)).toEqual([1, 2, 3]);
    store.close();
  });

  it('refuses a batch of a session another orchestrator took over (fenced), and loses what was behind it', async () => {
    const dir = tempDir('orch-writer-');
    const path = join(dir, 'orchestrate.db');
    const mine = new SqliteStore(path);
    mine.create(session('a'));
    expect(mine.acquireLease('a', 'old', 1_000, 1_000)).toMatchObject({ ok: true });
    const errors: [unknown, number][] = [];
    const writer = new EventWriter(mine, () => undefined, (e, lost) => errors.push([e, lost.length]));
    // The old holder stopped renewing; its lease expired and another orchestrator took it.
    const other = new SqliteStore(path);
    expect(other.acquireLease('a', 'new', 1_000, 5_000)).toMatchObject({ ok: true });
    writer.append(entry('a', 'stale'));
    await turn();
    writer.append(entry('a', 'behind'));
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(errors[0]?.[0]).toMatchObject({ kind: 'fenced' });
    expect(errors[0]?.[1]).toBe(2);
    expect(other.lastSeq('a')).toBe(0);
    mine.close();
    other.close();
  });
});
