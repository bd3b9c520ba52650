import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/**
 * Reads an append-only JSON-lines file from the start, then what is appended (polled: the file
 * is written by another process). Only whole lines are delivered; a partly written last line
 * waits for its end.
 */
export function followLines(path: string, onLine: (line: string) => void, onError: (e: { kind: 'read_failed'; message: string }) => void, pollMs = 250): () => void {
  let offset = 0;
  // Reads end anywhere, also inside a character: the decoder keeps a split character for the next read.
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let stopped = false;
  const buf = Buffer.alloc(64 * 1024);
  const read = (): void => {
    if (stopped) return;
    let fd: number | undefined;
    try {
      if (statSync(path).size <= offset) return;
      fd = openSync(path, 'r');
      for (let n = readSync(fd, buf, 0, buf.length, offset); n > 0 && !stopped; n = readSync(fd, buf, 0, buf.length, offset)) {
        offset += n;
        const lines = (rest + decoder.write(buf.subarray(0, n))).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) onLine(line);
      }
    } catch (error) {
      // Not there yet: the next poll looks again. Anything else ends the following.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        stopped = true;
        clearInterval(timer);
        onError({ kind: 'read_failed', message: error instanceof Error ? error.message : String(error) });
      }
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  };
  const timer = setInterval(read, pollMs);
  timer.unref();
  read();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
