import { describe, expect, it } from 'vitest';
import { batchFrame, encodeBatch, frameOf, releaseFrame } from '../../src/protocol/envelope.js';
import type { LogEntry } from '../../src/persistence/types.js';

const entries = (from: number, n: number): LogEntry[] =>
  Array.from({ length: n }, (_, i) => ({ sessionId: 's', seq: from + i, timestamp: '2026-01-01T00:00:00.000Z', type: 'progress', agent: 'claude', workerId: 'w', attempt: 1, payload: { text: `→ ${from + i}` } }));
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('frames made ahead for the store', () => {
  it('are the bytes the clients of that batch get, the JSON array of its envelopes', () => {
    const batch = entries(1, 3);
    const ahead = batchFrame(batch);
    expect(JSON.parse(ahead.toString('utf8'))).toEqual(encodeBatch(batch).items.map((m) => JSON.parse(m.json) as unknown));
    expect(frameOf(encodeBatch(batch).items)).toBe(ahead);
  });

  it('are kept until their batch landed (released), then for that turn', async () => {
    const batch = entries(10, 2);
    const ahead = batchFrame(batch);
    await turn();
    await turn();
    // Still there for the batch's clients, however many turns the commit took.
    expect(frameOf(encodeBatch(batch).items)).toBe(ahead);
    releaseFrame(ahead);
    // The turn it landed in: its clients share it.
    expect(frameOf(encodeBatch(batch).items)).toBe(ahead);
    await turn();
    const remade = frameOf(encodeBatch(batch).items);
    expect(remade).not.toBe(ahead);
    expect(remade.equals(ahead)).toBe(true);
  });
});
