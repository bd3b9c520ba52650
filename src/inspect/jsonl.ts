import { createWriteStream } from 'node:fs';
import type { Inspector } from './live.js';
import type { RedactMode } from './redact.js';

export type InspectLogError = { kind: 'inspect_log_failed'; path: string; message: string };

/**
 * `--inspect`: every inspection record of the session, one JSON per line, appended (a resumed
 * session goes on in the same file). A write error stops the file, not the session.
 */
export function logInspection(inspector: Inspector, path: string, mode: RedactMode, onError: (e: InspectLogError) => void): () => Promise<void> {
  const out = createWriteStream(path, { flags: 'a' });
  let failed = false;
  out.on('error', (error) => {
    if (failed) return;
    failed = true;
    stop();
    onError({ kind: 'inspect_log_failed', path, message: error.message });
  });
  const stop = inspector.subscribe((r) => {
    if (!failed) out.write(`${JSON.stringify(r)}\n`);
  }, { mode });
  return () =>
    new Promise<void>((resolve) => {
      stop();
      if (failed || out.closed) resolve();
      else out.end(() => resolve());
    });
}
