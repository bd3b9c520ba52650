/** Keeps only the last `limit` characters of a growing text (stderr tails for classifiers). */
export class BoundedText {
  private buffer = '';
  private dropped = 0;

  constructor(private readonly limit: number) {}

  append(chunk: string): void {
    this.buffer += chunk;
    if (this.buffer.length > this.limit * 2) this.trim();
  }

  get text(): string {
    this.trim();
    return this.buffer;
  }

  /** How many characters were discarded from the front. */
  get droppedChars(): number {
    this.trim();
    return this.dropped;
  }

  private trim(): void {
    if (this.buffer.length <= this.limit) return;
    const cut = this.buffer.length - this.limit;
    this.dropped += cut;
    this.buffer = this.buffer.slice(cut);
  }
}
