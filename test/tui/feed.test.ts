import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SqliteStore } from '../../src/persistence/sqlite/store.js';
import type { LogEntry, LogEntryInput } from '../../src/persistence/types.js';
import type { SessionBus } from '../../src/runtime/recorder.js';
import { feedFromBus, feedFromStore } from '../../src/tui/feed.js';
import { applyEntries, initialView } from '../../src/view/index.js';
import { tempDir } from '../helpers/fake-agents.js';

const ts = '2026-11-23T22:30:21.230Z';
const SID = 'sess';
const input = (text: string): LogEntryInput => ({ sessionId: SID, type: 'progress', agent: 'claude', workerId: 'implementer', attempt: 1, timestamp: ts, payload: { text, kind: 'tool.call' } });

function open(path = join(tempDir('orch-feed-'), 'orchestrate.db')): SqliteStore {
  const store = new SqliteStore(path);
  store.create({ id: SID, task: 't', target: '/t', workspace: '/w', sessionDir: '/w/s', status: 'planning', tier: 1, roles: {}, config: {}, tokens: {}, createdAt: ts, updatedAt: ts });
  return store;
}

const stores: SqliteStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

describe('feeds', () => {
  it('bus: the stored history first, then live entries, each seq once and in order', async () => {
    const store = open();
    stores.push(store);
    store.append(Array.from({ length: 4500 }, (_, i) => input(`old ${i}`)));
    const bus: SessionBus = new EventEmitter();
    const got: LogEntry[] = [];
    const stop = feedFromBus(store, SID, bus, (es) => got.push(...es), (e) => expect.fail(e.message));
    // Live entries committed while the history is still being read (it takes several turns).
    const live = (text: string): void => {
      bus.emit('entries', store.append([input(text)]));
    };
    live('live 1');
    await new Promise((r) => setImmediate(r));
    live('live 2');
    await vi.waitFor(() => expect(got.at(-1)?.payload.text).toBe('live 2'));
    live('live 3');
    await vi.waitFor(() => expect(got.at(-1)?.payload.text).toBe('live 3'));
    const seqs = got.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const view = applyEntries(initialView(SID), got);
    expect(view.lastSeq).toBe(4503);
    expect(new Set(seqs).size).toBe(4503);
    expect(got).toHaveLength(4503);
    stop();
    live('after stop');
    expect(got.at(-1)?.payload.text).toBe('live 3');
  });

  it('store: follows entries another connection (process) commits', async () => {
    const path = join(tempDir('orch-feed-'), 'orchestrate.db');
    const writer = open(path);
    const reader = new SqliteStore(path);
    stores.push(writer, reader);
    writer.append([input('first')]);
    const got: LogEntry[] = [];
    const stop = feedFromStore(reader, SID, (es) => got.push(...es), (e) => expect.fail(e.message), 20);
    expect(got).toEqual([]);
    await vi.waitFor(() => expect(got.map((e) => e.payload.text)).toEqual(['first']));
    writer.append(Array.from({ length: 2500 }, (_, i) => input(`more ${i}`)));
    await vi.waitFor(() => expect(got).toHaveLength(2501));
    expect(got.map((e) => e.seq)).toEqual(Array.from({ length: 2501 }, (_, i) => i + 1));
    stop();
  });

  it('store: a failed read is reported as an error value, not thrown', async () => {
    const store = open();
    store.close();
    const errors: string[] = [];
    const stop = feedFromStore(store, SID, () => undefined, (e) => errors.push(e.kind), 20);
    await vi.waitFor(() => expect(errors[0]).toBe('store_read_failed'));
    stop();
  });
});
