import { describe, expect, it } from 'vitest';
import { LineSplitter, type LineUnit } from '../../src/actors/line-splitter.js';
import { BoundedText } from '../../src/actors/bounded-text.js';

function split(chunks: (string | Buffer)[], max: number): { units: LineUnit[]; raw: string } {
  const splitter = new LineSplitter(max);
  const parts = [...chunks.map((c) => splitter.push(Buffer.from(c))), splitter.end()];
  return { units: parts.flatMap((p) => p.units), raw: Buffer.concat(parts.flatMap((p) => p.raw)).toString('utf8') };
}
const units = (chunks: (string | Buffer)[], max: number): LineUnit[] => split(chunks, max).units;

describe('LineSplitter', () => {
  it('passes short lines through, across chunk borders and multi-byte characters', () => {
    const text = 'héllo wörld\nsecond';
    const bytes = Buffer.from(`${text}\n`);
    // The cuts fall inside "é" and "ö" (two bytes each).
    expect(units([bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)], 100)).toEqual([
      { kind: 'line', text: 'héllo wörld' },
      { kind: 'line', text: 'second' },
    ]);
  });

  it('cuts an overlong line, reports its full size, and goes on', () => {
    expect(units(['ok\n', 'a'.repeat(30), 'b'.repeat(30), '\nnext\n'], 16)).toEqual([
      { kind: 'line', text: 'ok' },
      { kind: 'overflow', prefix: 'a'.repeat(16), bytes: 60 },
      { kind: 'line', text: 'next' },
    ]);
  });

  it('cuts an overlong line that sits whole inside one chunk', () => {
    expect(units([`a\n${'q'.repeat(25)}\nb\n`], 8)).toEqual([
      { kind: 'line', text: 'a' },
      { kind: 'overflow', prefix: 'q'.repeat(8), bytes: 25 },
      { kind: 'line', text: 'b' },
    ]);
  });

  it('reports an overlong last line without a newline', () => {
    expect(units(['z'.repeat(40)], 10)).toEqual([{ kind: 'overflow', prefix: 'z'.repeat(10), bytes: 40 }]);
  });

  it('keeps a line of exactly the limit, and a last line without a newline', () => {
    expect(units(['x'.repeat(10), '\n', 'tail'], 10)).toEqual([
      { kind: 'line', text: 'x'.repeat(10) },
      { kind: 'line', text: 'tail' },
    ]);
  });

  it('drops the CR of CRLF lines and keeps empty lines as empty text', () => {
    expect(units(['{"a":1}\r\n\n{"b":2}\r', '\n'], 100)).toEqual([
      { kind: 'line', text: '{"a":1}' },
      { kind: 'line', text: '' },
      { kind: 'line', text: '{"b":2}' },
    ]);
  });

  it('gives the same lines however the stream is cut into chunks', () => {
    const lines = Array.from({ length: 200 }, (_, i) => `{"n":${i},"t":"${'ü€'.repeat(i % 7)}"}`);
    const bytes = Buffer.from(`${lines.join('\n')}\n`);
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 97;
    for (let round = 0; round < 20; round++) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length; ) {
        const n = 1 + next();
        chunks.push(bytes.subarray(at, at + n));
        at += n;
      }
      expect(units(chunks, 1000).map((u) => (u.kind === 'line' ? u.text : '!'))).toEqual(lines);
    }
  });

  it('does not keep the chunk it was given: later writes to that memory change nothing', () => {
    const splitter = new LineSplitter(100);
    const chunk = Buffer.from('abc');
    splitter.push(chunk);
    chunk.fill(0x78);
    expect(splitter.push(Buffer.from('def\n')).units).toEqual([{ kind: 'line', text: 'abcdef' }]);
  });

  it('gives the bytes of the completed lines for the raw copy: verbatim (CRs too), an overlong line as its prefix and size', () => {
    const lines = Array.from({ length: 50 }, (_, i) => (i % 9 === 4 ? 'L'.repeat(40) : `{"n":${i},"t":"ü€"}${i % 5 === 0 ? '\r' : ''}`));
    const bytes = Buffer.from(`${lines.join('\n')}\nunfinished`);
    const expected = `${lines.map((l) => (l.length === 40 ? `${'L'.repeat(32)} [… 40 bytes]` : l)).join('\n')}\nunfinished\n`;
    for (const size of [1, 7, 33, bytes.length]) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
      expect(split(chunks, 32).raw).toBe(expected);
    }
    // Each push gives exactly the lines it completed.
    const splitter = new LineSplitter(100);
    expect(Buffer.concat(splitter.push(Buffer.from('a\nb')).raw).toString()).toBe('a\n');
    expect(Buffer.concat(splitter.push(Buffer.from('c\r\nd\n')).raw).toString()).toBe('bc\r\nd\n');
    expect(splitter.push(Buffer.from('e')).raw).toEqual([]);
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
