const NEWLINE = 0x0a;
const NEWLINE_BYTE = Buffer.from('\n');

export type LineUnit = { kind: 'line'; text: string } | { kind: 'overflow'; prefix: string; bytes: number };

/** The lines a chunk completed, and their bytes for the raw copy. */
export interface SplitChunk {
  units: LineUnit[];
  /**
   * The completed lines as they were read, each with its newline (CRs kept: it is the raw
   * copy); an overlong line as its kept prefix and a note of its size. In pieces, mostly views
   * of the chunk itself, written one after the other: copying the lines into a string and back
   * was a twentieth of the pipeline's time, and joining the pieces into one buffer another 2%.
   */
  raw: Buffer[];
}

/**
 * Splits an agent's stdout into lines, bounded: a line longer than `maxBytes` keeps its first
 * `maxBytes` bytes and becomes one `overflow` unit carrying its full length, and reading goes
 * on (a splitter that errors the stream or silently drops the line would lose the rest of the
 * run). Works on whole chunks, so a chunk of a chatty agent is one call, not one stream hop per
 * line (two object-mode transforms per line cost as much as translating it). Splitting on the
 * byte 0x0A is safe for UTF-8: it never occurs inside a multi-byte character, and each line is
 * decoded only once it is complete.
 */
export class LineSplitter {
  /** The unfinished line's kept bytes (at most maxBytes in all). */
  private parts: Buffer[] = [];
  private kept = 0;
  /** The unfinished line's full length so far, kept or not. */
  private seen = 0;

  constructor(private readonly maxBytes: number) {}

  /** The lines the chunk completes, in order; the rest waits for the next chunk. */
  push(chunk: Buffer): SplitChunk {
    const units: LineUnit[] = [];
    const raw: Buffer[] = [];
    let start = 0;
    /** Where the current stretch of lines that lie whole in the chunk began. */
    let whole = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      if (this.seen === 0 && nl - start <= this.maxBytes) units.push(lineUnit(chunk.toString('utf8', start, nl)));
      else {
        if (start > whole) raw.push(chunk.subarray(whole, start));
        this.take(chunk, start, nl);
        const done = this.finish();
        units.push(done.unit);
        raw.push(...done.raw);
        whole = nl + 1;
      }
      start = nl + 1;
    }
    if (start > whole) raw.push(chunk.subarray(whole, start));
    if (start < chunk.length) this.take(chunk, start, chunk.length);
    return { units, raw };
  }

  /** What is left when the stream ends without a final newline. */
  end(): SplitChunk {
    if (this.seen === 0) return { units: [], raw: [] };
    const { unit, raw } = this.finish();
    return { units: [unit], raw };
  }

  private take(chunk: Buffer, from: number, to: number): void {
    const n = Math.min(this.maxBytes - this.kept, to - from);
    if (n > 0) {
      // Copied: a partial line must not keep the whole chunk it came in alive.
      this.parts.push(Buffer.from(chunk.subarray(from, from + n)));
      this.kept += n;
    }
    this.seen += to - from;
  }

  private finish(): { unit: LineUnit; raw: Buffer[] } {
    const bytes = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts);
    const text = bytes.toString('utf8');
    const overflow = this.seen > this.maxBytes;
    const done = overflow
      ? { unit: { kind: 'overflow' as const, prefix: text, bytes: this.seen }, raw: [Buffer.from(`${text} [… ${this.seen} bytes]\n`, 'utf8')] }
      : { unit: lineUnit(text), raw: [bytes, NEWLINE_BYTE] };
    this.parts = [];
    this.kept = 0;
    this.seen = 0;
    return done;
  }
}

/** A CRLF line's CR is not part of the JSON text (split2 dropped it too). */
function lineUnit(text: string): LineUnit {
  return { kind: 'line', text: text.endsWith('\r') ? text.slice(0, -1) : text };
}
