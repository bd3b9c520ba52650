import { describe, expect, it } from 'vitest';
import { encodeBatch, envelopeBytes, envelopeOf, frameOf, jsonLines, runBytes } from '../../src/protocol/envelope.js';
import type { LogEntry } from '../../src/persistence/types.js';

const entries = (from: number, n: number): LogEntry[] =>
  Array.from({ length: n }, (_, i) => ({ sessionId: 's', seq: from + i, timestamp: '2026-01-01T00:00:00.000Z', type: 'progress', agent: 'claude', workerId: 'w', attempt: 1, payload: { text: `→ ${from + i}` } }));
const mixed = (from: number): LogEntry[] =>
  entries(from, 5).map((e, i) => ({ ...e, agent: i === 2 ? 'orchestrate' : 'claude', payload: { text: `“${i}” — ✓ ${'é'.repeat(i)} 😀`, n: -0, nested: { a: [i, null] } }, ...(i === 4 ? { usage: { inputTokens: 3, outputTokens: 1, cachedTokens: 0 } } : {}) }));
const json = (e: LogEntry): string => JSON.stringify(envelopeOf(e));

describe('a batch encoded once', () => {
  it('is the JSON array of its envelopes as UTF-8, made once per array, with where each envelope ends', () => {
    const batch = mixed(1);
    const encoded = encodeBatch(batch);
    expect(encodeBatch(batch)).toBe(encoded);
    expect(encoded.utf8.toString('utf8')).toBe(`[${batch.map(json).join(',')}]`);
    batch.forEach((e, i) => expect(envelopeBytes(encoded, i).toString('utf8')).toBe(json(e)));
    expect(encoded.ends.at(-1)).toBe(encoded.utf8.length - 1);
    expect(encoded.consecutive).toBe(true);
    expect(runBytes({ batch: encoded, from: 1, to: 3 })).toBe(Buffer.byteLength(`${json(batch[1] as LogEntry)},${json(batch[2] as LogEntry)}`));
    expect(runBytes({ batch: encoded, from: 2, to: 2 })).toBe(0);
  });

  it('holds envelopes of any size (the bytes grow past the first guess)', () => {
    const batch = entries(1, 4).map((e, i) => ({ ...e, payload: { text: `${'x'.repeat(i * 3000)}…${'ü'.repeat(i * 500)}` } }));
    const encoded = encodeBatch(batch);
    expect(encoded.utf8.toString('utf8')).toBe(`[${batch.map(json).join(',')}]`);
    batch.forEach((e, i) => expect(envelopeBytes(encoded, i).toString('utf8')).toBe(json(e)));
  });

  it('holds texts whose every character is 3 bytes, at every length around the room reserved', () => {
    // After a batch of short envelopes the room reserved per envelope is small: these need more.
    encodeBatch(entries(1, 50));
    for (const n of [0, 1, 100, 511, 512, 513, 1000, 3000]) {
      const batch = entries(1, 6).map((e, i) => ({ ...e, payload: { text: '漢'.repeat(n + i) } }));
      const encoded = encodeBatch(batch);
      expect(encoded.utf8.toString('utf8'), `length ${n}`).toBe(`[${batch.map(json).join(',')}]`);
      batch.forEach((e, i) => expect(envelopeBytes(encoded, i).toString('utf8')).toBe(json(e)));
    }
  });

  it('keeps little more memory than its bytes (a view keeps its whole allocation alive)', () => {
    const batch = entries(1, 400).map((e, i) => ({ ...e, payload: { text: i % 50 === 0 ? 'x'.repeat(20_000) : 'short' } }));
    const { utf8 } = encodeBatch(batch);
    expect(utf8.buffer.byteLength).toBeLessThanOrEqual(utf8.length * 1.25 + 1);
  });

  it('says when its seqs do not follow one another', () => {
    const batch = entries(1, 3);
    batch[2] = { ...(batch[2] as LogEntry), seq: 1 };
    expect(encodeBatch(batch).consecutive).toBe(false);
    expect(encodeBatch([]).utf8.toString()).toBe('[]');
  });

  it('keeps nothing on its entries: an entry kept elsewhere does not hold its batch bytes', () => {
    const batch = entries(1, 2);
    encodeBatch(batch);
    for (const e of batch) expect(Object.getOwnPropertySymbols(e)).toEqual([]);
    expect(Object.getOwnPropertySymbols(batch[0]?.payload ?? {})).toEqual([]);
  });

  it('is the frame of a client that takes the whole batch: the very bytes, no copy', () => {
    const batch = entries(10, 3);
    const encoded = encodeBatch(batch);
    expect(frameOf([{ batch: encoded, from: 0, to: 3 }])).toBe(encoded.utf8);
    const part = frameOf([{ batch: encoded, from: 1, to: 3 }]);
    expect(part.buffer === encoded.utf8.buffer && part.byteOffset === encoded.utf8.byteOffset).toBe(false);
    expect(JSON.parse(part.toString('utf8'))).toEqual(batch.slice(1).map((e) => JSON.parse(json(e)) as unknown));
  });
});

describe('jsonLines: entries of a published batch as the lines of a workspace copy', () => {
  const expected = (batch: LogEntry[], from: number, to: number): string =>
    batch
      .slice(from, to)
      .map((e) => `${json(e)}\n`)
      .join('');

  it('are each envelope a client gets and a newline, cut from the batch bytes', () => {
    const batch = mixed(100);
    for (const [from, to] of [
      [0, 5],
      [0, 2],
      [3, 5],
      [2, 3],
      [1, 4],
    ] as const) {
      expect(jsonLines(batch, from, to).toString('utf8')).toBe(expected(batch, from, to));
    }
    for (const line of jsonLines(batch).toString('utf8').trimEnd().split('\n')) expect(JSON.parse(line)).toHaveProperty('seq');
    expect(jsonLines(batch, 2, 2).length).toBe(0);
    expect(jsonLines([]).length).toBe(0);
  });

  it('ask for exactly their bytes', () => {
    const batch = mixed(400);
    const asked: number[] = [];
    const alloc = (size: number): Buffer => (asked.push(size), Buffer.allocUnsafe(size));
    const cut = jsonLines(batch, 1, 4, alloc);
    expect(asked).toEqual([cut.length]);
    expect(cut.toString('utf8')).toBe(expected(batch, 1, 4));
  });

  it('never change the frame the clients get', () => {
    const batch = mixed(300);
    const frame = encodeBatch(batch).utf8;
    const before = Buffer.from(frame);
    jsonLines(batch, 0, 5);
    expect(frame.equals(before)).toBe(true);
  });
});
