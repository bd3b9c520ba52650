import { describe, expect, it } from 'vitest';
import { batchFrame, encodeBatch, frameOf, jsonLines, releaseFrame } from '../../src/protocol/envelope.js';
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

describe('jsonLines: entries of a published batch as the lines of a workspace copy', () => {
  const mixed = (from: number): LogEntry[] =>
    entries(from, 5).map((e, i) => ({ ...e, agent: i === 2 ? 'orchestrate' : 'claude', payload: { text: `“${i}” — ✓ ${'é'.repeat(i)}`, n: -0, nested: { a: [i, null] } } }));
  const expected = (batch: LogEntry[], from: number, to: number): string =>
    encodeBatch(batch)
      .items.slice(from, to)
      .map((m) => `${m.json}\n`)
      .join('');

  it('are each envelope a client gets and a newline, cut from the frame made ahead or encoded alike', async () => {
    const ahead = mixed(100);
    batchFrame(ahead);
    const without = mixed(200);
    for (const [from, to] of [
      [0, 5],
      [0, 2],
      [3, 5],
      [2, 3],
      [1, 4],
    ] as const) {
      expect(jsonLines(ahead, from, to).toString('utf8')).toBe(expected(ahead, from, to));
      expect(jsonLines(without, from, to).toString('utf8')).toBe(expected(without, from, to));
    }
    for (const line of jsonLines(ahead).toString('utf8').trimEnd().split('\n')) expect(JSON.parse(line)).toHaveProperty('seq');
    expect(jsonLines(ahead, 2, 2).length).toBe(0);
    expect(jsonLines([]).length).toBe(0);
    await turn();
  });

  it('are cut from the frame made ahead when there is one: exactly their bytes are asked for (encoding asks for the worst case)', () => {
    const batch = mixed(400);
    const asked: number[] = [];
    const alloc = (size: number): Buffer => (asked.push(size), Buffer.allocUnsafe(size));
    const without = jsonLines(batch, 1, 4, alloc);
    expect(asked.pop()).toBeGreaterThan(without.length);
    batchFrame(batch);
    const cut = jsonLines(batch, 1, 4, alloc);
    expect(asked.pop()).toBe(cut.length);
    expect(cut.equals(without)).toBe(true);
  });

  it('never change the frame the clients get', () => {
    const batch = mixed(300);
    const frame = batchFrame(batch);
    const before = Buffer.from(frame);
    jsonLines(batch, 0, 5);
    expect(frame.equals(before)).toBe(true);
  });
});
