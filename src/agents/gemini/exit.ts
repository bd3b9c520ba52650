import type { AgentEventDraft } from '../../protocol/index.js';
import { draft } from '../common/events.js';
import type { ExitInfo } from '../types.js';

/** Gemini CLI 0.61 ExitCodes / FatalError classes (facts §3.4). */
const EXIT_REASONS: Record<number, string> = {
  1: 'a general failure (for example an unknown argument or conflicting flags)',
  41: 'an authentication failure (no usable auth method: check GEMINI_API_KEY and security.auth.selectedType)',
  42: 'invalid input (the prompt or stdin could not be used)',
  44: 'a sandbox failure',
  52: 'an invalid configuration (settings.json or flags)',
  53: 'the session turn limit (maxSessionTurns)',
  54: 'a tool execution failure',
  55: 'an untrusted folder (it needs --skip-trust or GEMINI_CLI_TRUST_WORKSPACE=true)',
  130: 'cancellation (interrupted)',
};

/**
 * API errors exit with `process.exit(status)`, so the code is the HTTP status & 255.
 * Only 400..511 is considered: those map one-to-one onto 144..255, clear of the codes above.
 */
export function httpStatusFromExit(code: number): number | undefined {
  return code >= 144 && code <= 255 ? code + 256 : undefined;
}

export function exitEvent(exit: ExitInfo): AgentEventDraft | undefined {
  if (exit.exitCode === 0) return undefined;
  if (exit.exitCode === null) {
    const how = exit.signal ? `was killed by ${exit.signal}` : 'ended without an exit code';
    return draft('error', { kind: 'process.failed', text: `Gemini CLI ${how} before finishing the run.`, exitCode: null, severity: 'error' });
  }
  const code = exit.exitCode;
  const apiStatus = httpStatusFromExit(code);
  const reason =
    EXIT_REASONS[code] ??
    (apiStatus === undefined
      ? 'an unrecognised failure'
      : `a model API error: Gemini exits with the HTTP status & 255, so this is HTTP ${apiStatus}`);
  return draft('error', {
    kind: 'process.failed',
    text: `Gemini CLI exited with code ${code}, which means ${reason}.`,
    exitCode: code,
    severity: 'error',
    ...(apiStatus === undefined ? {} : { apiStatus }),
  });
}
