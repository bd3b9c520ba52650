import { join } from 'node:path';
import { destination, pino, stdTimeFunctions, type Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

/**
 * The orchestrator's own structured log, `workspace/<session>/orchestrator.log`
 * (one JSON object per line, so `tail -f` and `jq` both work). Written synchronously:
 * the last lines before a crash are the ones that matter.
 */
export function sessionLogger(sessionDir: string, level: string): Logger {
  const valid = (LOG_LEVELS as readonly string[]).includes(level) ? level : 'info';
  return pino({ level: valid, base: undefined, timestamp: stdTimeFunctions.isoTime }, destination({ dest: join(sessionDir, 'orchestrator.log'), sync: true, mkdir: true }));
}
