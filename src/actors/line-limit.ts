import { Transform, type TransformCallback } from 'node:stream';

const NEWLINE = 0x0a;
/** Appended to the kept prefix of an overlong line; U+0000 never occurs in valid JSON text lines. */
export const OVERFLOW_MARK = '\u0000[orchestrate:line-too-long:';

/**
 * Bounds line length before split2 sees the bytes: split2 alone can only drop an
 * overlong line silently or error the whole stream, and we must report it and keep
 * reading. Bytes past `maxBytes` are discarded; at the line's end a marker with the
 * full length is appended, so the splitter yields `prefix + mark + length + "]"`.
 */
export class LineLimit extends Transform {
  private lineBytes = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, start);
      const end = nl === -1 ? chunk.length : nl;
      const room = Math.max(0, this.maxBytes - this.lineBytes);
      const take = Math.min(room, end - start);
      if (take > 0) this.push(chunk.subarray(start, start + take));
      this.lineBytes += end - start;
      if (nl === -1) break;
      this.endLine();
      start = nl + 1;
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.lineBytes > this.maxBytes) this.push(`${OVERFLOW_MARK}${this.lineBytes}]`);
    callback();
  }

  private endLine(): void {
    if (this.lineBytes > this.maxBytes) this.push(`${OVERFLOW_MARK}${this.lineBytes}]\n`);
    else this.push('\n');
    this.lineBytes = 0;
  }
}

export type LineUnit = { kind: 'line'; text: string } | { kind: 'overflow'; prefix: string; bytes: number };

/** split2 mapper: recognise the marker that LineLimit left. */
export function toLineUnit(text: string): LineUnit {
  const at = text.lastIndexOf(OVERFLOW_MARK);
  if (at === -1 || !text.endsWith(']')) return { kind: 'line', text };
  const bytes = Number(text.slice(at + OVERFLOW_MARK.length, -1));
  return Number.isFinite(bytes) ? { kind: 'overflow', prefix: text.slice(0, at), bytes } : { kind: 'line', text };
}
