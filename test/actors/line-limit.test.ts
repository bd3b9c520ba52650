import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import split2 from 'split2';
import { describe, expect, it } from 'vitest';
import { LineLimit, toLineUnit, type LineUnit } from '../../src/actors/line-limit.js';
import { BoundedText } from '../../src/actors/bounded-text.js';

async function units(chunks: (string | Buffer)[], max: number): Promise<LineUnit[]> {
  const out: LineUnit[] = [];
  await pipeline(Readable.from(chunks.map((c) => Buffer.from(c))), new LineLimit(max), split2(toLineUnit), async (source: AsyncIterable<LineUnit>) => {
    for await (const u of source) out.push(u);
  });
  return out;
}

describe('LineLimit + split2', () => {
  it('passes short lines through, across chunk borders and multi-byte characters', async () => {
    const text = 'héllo wörld\nsecond';
    const bytes = Buffer.from(`${text}\n`);
    expect(await units([bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)], 100)).toEqual([
      { kind: 'line', text: 'héllo wörld' },
      { kind: 'line', text: 'second' },
    ]);
  });

  it('cuts an overlong line, reports its full size, and goes on', async () => {
    const got = await units(['ok\n', 'a'.repeat(30), 'b'.repeat(30), '\nnext\n'], 16);
    expect(got).toEqual([
      { kind: 'line', text: 'ok' },
      { kind: 'overflow', prefix: 'a'.repeat(16), bytes: 60 },
      { kind: 'line', text: 'next' },
    ]);
  });

  it('reports an overlong last line without a newline', async () => {
    expect(await units(['z'.repeat(40)], 10)).toEqual([{ kind: 'overflow', prefix: 'z'.repeat(10), bytes: 40 }]);
  });

  it('keeps a line of exactly the limit', async () => {
    expect(await units(['x'.repeat(10), '\n'], 10)).toEqual([{ kind: 'line', text: 'x'.repeat(10) }]);
  });
});

describe('BoundedText', () => {
  it('keeps only the tail', () => {
    const t = new BoundedText(5);
    for (const c of ['abc', 'defg', 'hij']) t.append(c);
    expect(t.text).toBe('fghij');
    expect(t.droppedChars).toBe(5);
  });
});
