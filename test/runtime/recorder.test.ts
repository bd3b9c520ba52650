import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/persistence/sqlite/store.js';
import { SessionRecorder } from '../../src/runtime/recorder.js';
import { tempDir } from '../helpers/fake-agents.js';
import { session } from '../persistence/store-contract.js';

describe('the session bus', () => {
  it('takes a listener per live client beyond Node’s default of 10 without a leak warning', async () => {
    const store = new SqliteStore(join(tempDir('orch-recorder-'), 'orchestrate.db'));
    store.create(session('s'));
    const recorder = new SessionRecorder(store, 's', pino({ enabled: false }));
    const warnings: Error[] = [];
    const onWarning = (w: Error): number => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const got: number[] = [];
      for (let i = 0; i < 25; i++) recorder.bus.on('entries', (entries) => got.push(entries.length));
      recorder.note('control', { text: 'user.pause' });
      recorder.writer.flush();
      // Node reports a listener leak on the next tick.
      await new Promise((r) => setImmediate(r));
      expect(got).toEqual(Array.from({ length: 25 }, () => 1));
      expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
      store.close();
    }
  });
});
