const NEWLINE = 0x0a;

export type LineUnit = { kind: 'line'; text: string } | { kind: 'overflow'; prefix: string; bytes: number };

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
  push(chunk: Buffer): LineUnit[] {
    const units: LineUnit[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      if (this.seen === 0 && nl - start <= this.maxBytes) units.push(lineUnit(chunk.toString('utf8', start, nl)));
      else {
        this.take(chunk, start, nl);
        units.push(this.finish());
      }
      start = nl + 1;
    }
    if (start < chunk.length) this.take(chunk, start, chunk.length);
    return units;
  }

  /** What is left when the stream ends without a final newline. */
  end(): LineUnit[] {
    return this.seen === 0 ? [] : [this.finish()];
  }

  private take(chunk: Buffer, from: number, to: number): void {
    const n = Math.min(this.maxBytes - this.kept, to - from);
    if (n > 0) {
      // Copied: the chunk's memory is reused by the stream once this call returns.
      this.parts.push(Buffer.from(chunk.subarray(from, from + n)));
      this.kept += n;
    }
    this.seen += to - from;
  }

  private finish(): LineUnit {
    const text = (this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts)).toString('utf8');
    const unit: LineUnit = this.seen > this.maxBytes ? { kind: 'overflow', prefix: text, bytes: this.seen } : lineUnit(text);
    this.parts = [];
    this.kept = 0;
    this.seen = 0;
    return unit;
  }
}

/** A CRLF line's CR is not part of the JSON text (split2 dropped it too). */
function lineUnit(text: string): LineUnit {
  return { kind: 'line', text: text.endsWith('\r') ? text.slice(0, -1) : text };
}
