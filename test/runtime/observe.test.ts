import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import type { InspectionEvent } from 'xstate';
import type { SessionActor } from '../../src/runtime/run-session.js';
import { SqliteStore } from '../../src/persistence/sqlite/store.js';
import { observeSession } from '../../src/runtime/observe.js';
import { SessionRecorder } from '../../src/runtime/recorder.js';
import { tempDir } from '../helpers/fake-agents.js';
import { session } from '../persistence/store-contract.js';

/** What observeSession asks of the root actor when nothing but its snapshot changes. */
const actor = {
  on: () => ({ unsubscribe: () => undefined }),
  subscribe: () => ({ unsubscribe: () => undefined }),
  getSnapshot: () => ({ context: { usage: {}, tier: { tier: 1 } } }),
  getPersistedSnapshot: () => ({ status: 'active', value: 'implementing', context: {} }),
} as unknown as SessionActor;

const changed = (eventType: string): InspectionEvent => ({ type: '@xstate.snapshot', event: { type: eventType } }) as unknown as InspectionEvent;

function setup(): { store: SqliteStore; recorder: SessionRecorder; savedAt: number[]; observer: ReturnType<typeof observeSession> } {
  const dir = tempDir('orch-observe-');
  const store = new SqliteStore(join(dir, 'orchestrate.db'));
  store.create(session('s'));
  const recorder = new SessionRecorder(store, 's', pino({ enabled: false }));
  /** The log's last committed seq at each snapshot write. */
  const savedAt: number[] = [];
  const save = store.saveSnapshot.bind(store);
  store.saveSnapshot = (record) => {
    savedAt.push(store.lastSeq('s'));
    save(record);
  };
  const observer = observeSession({ actor, store, recorder, log: pino({ enabled: false }), notice: () => undefined, sessionDir: dir, machineVersion: 'test', onPlan: () => undefined });
  return { store, recorder, savedAt, observer };
}

describe('the session snapshot is saved only after what was appended before it is committed', () => {
  it('at the end of the turn of a change (the log’s batch lands on the writer thread first)', async () => {
    const { store, recorder, savedAt, observer } = setup();
    for (let i = 0; i < 3; i++) recorder.note('session.state', { text: `s${i}` });
    observer.inspect(changed('worker.done'));
    await vi.waitFor(() => expect(savedAt).toHaveLength(1));
    expect(savedAt).toEqual([3]);
    expect(store.loadSnapshot('s')?.machineVersion).toBe('test');
    observer.dispose();
    recorder.writer.close();
    store.close();
  });

  it('throttled for agent events, and still after their commit', async () => {
    const { store, recorder, savedAt, observer } = setup();
    observer.inspect(changed('agent.events'));
    // Appended while the save waits for its timer: the save waits for them too.
    await new Promise((r) => setTimeout(r, 240));
    for (let i = 0; i < 400; i++) recorder.note('session.state', { text: `s${i}` });
    observer.inspect(changed('agent.events'));
    await vi.waitFor(() => expect(savedAt).toHaveLength(1));
    expect(savedAt[0]).toBe(400);
    observer.dispose();
    recorder.writer.close();
    store.close();
  });

  it('is not saved by a change once the log takes nothing more, and shutdown’s saveNow still writes it', async () => {
    const { store, recorder, savedAt, observer } = setup();
    recorder.note('session.state', { text: 'last' });
    recorder.writer.close();
    observer.inspect(changed('worker.done'));
    await new Promise((r) => setTimeout(r, 50));
    expect(savedAt).toEqual([]);
    observer.saveNow();
    expect(savedAt).toEqual([1]);
    observer.dispose();
    store.close();
  });
});
