import type { RecoveryKind } from '../../protocol/index.js';
import type { Classification, FailureEvidence, LaunchFix } from '../types.js';
import { describeFix, withFix } from './fixes.js';

/** The first line (from error events, then stderr) that matches, or undefined. */
export function findEvidence(evidence: FailureEvidence, pattern: RegExp): string | undefined {
  for (const event of evidence.events) {
    if (event.type !== 'error' && event.type !== 'blocker') continue;
    for (const text of [event.payload.text, event.payload.raw]) {
      if (typeof text !== 'string') continue;
      const line = text.split('\n').find((l) => pattern.test(l));
      if (line !== undefined) return line.trim();
    }
  }
  return evidence.stderr
    .split('\n')
    .find((l) => pattern.test(l))
    ?.trim();
}

export function relaunch(evidence: FailureEvidence, kind: RecoveryKind, matched: string, fix: LaunchFix): Classification {
  return {
    kind,
    evidence: matched,
    remedy: { action: 'relaunch', fix, request: withFix(evidence.request, fix), change: describeFix(fix) },
  };
}

export function escalate(kind: RecoveryKind, matched: string, suggestions: string[]): Classification {
  return { kind, evidence: matched, remedy: { action: 'escalate', suggestions } };
}

/** Strip ANSI colour codes that CLIs put around stderr messages. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

const PERMISSION_DENIED = /Permission denied|EACCES|Operation not permitted|EPERM/;

/** Scenario 3 of the seed: a plain OS permission error cannot be fixed by a flag. */
export function classifyPermissionDenied(evidence: FailureEvidence): Classification | null {
  const matched = findEvidence(evidence, PERMISSION_DENIED);
  if (matched === undefined) return null;
  const { cwd, workspace } = evidence.request;
  return escalate('permission_denied', matched, [
    `Check ownership and modes: ls -la ${cwd} ${workspace}`,
    'If a script was refused, make it executable (chmod +x FILE) or run it through its interpreter.',
    'If the path is outside the target, add it to the allowed roots in orchestrate.config.json.',
    'Then resume the session; the worker is relaunched with the same task.',
  ]);
}

/** HTTP status in texts like "API Error: 500", "status 401", `"code":429`. */
export function httpStatusIn(text: string): number | undefined {
  const m = /(?:API Error: |status |"code":\s*)(\d{3})\b/.exec(text);
  return m?.[1] ? Number(m[1]) : undefined;
}

/** Auth, quota and server errors from the model API, shared wording for all CLIs. */
export function classifyApiStatus(status: number, matched: string, agent: string): Classification | null {
  if (status === 401 || status === 403) {
    return escalate('auth', matched, [
      `${agent} was refused by its model API (HTTP ${status}): check its API key or login.`,
      'The session can continue at a lower tier without this agent.',
    ]);
  }
  if (status === 429) {
    return escalate('quota', matched, [
      `${agent} hit a rate limit or quota (HTTP 429): wait, or raise the quota.`,
      'The session can continue at a lower tier without this agent.',
    ]);
  }
  if (status >= 500) {
    return escalate('api_error', matched, [
      `${agent}'s model API failed (HTTP ${status}) after the CLI's own retries; it is usually temporary.`,
      'Resume the session to retry, or check the endpoint set in the agent env.',
    ]);
  }
  return null;
}
