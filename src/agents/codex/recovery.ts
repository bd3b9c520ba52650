import { hasFix } from '../common/fixes.js';
import {
  classifyApiStatus,
  classifyPermissionDenied,
  escalate,
  findEvidence,
  httpStatusIn,
  relaunch,
  stripAnsi,
} from '../common/recovery.js';
import type { Classification, FailureEvidence } from '../types.js';

const GIT_TRUST = /Not inside a trusted directory and --skip-git-repo-check was not specified/;
const LAUNCH_CONFIG =
  /error: unexpected argument|error: invalid value|error: unrecognized subcommand|Error loading config\.toml|Error parsing -c overrides|CODEX_HOME points to|Error finding codex home/;
const MISSING_KEY = /Missing environment variable: `?([A-Za-z_][A-Za-z0-9_]*)`?/;
const AUTH = /unexpected status 40[13]\b|401 Unauthorized|403 Forbidden/;
const QUOTA = /unexpected status 429\b|Too Many Requests|Quota exceeded|usage limit/i;
const SERVER = /experiencing high demand|unexpected status 5\d\d\b|stream disconnected before completion/;

/** Kinds our translator gives to API and run failures; tool output is not searched for API words. */
const RUN_ERROR_KINDS: ReadonlySet<string> = new Set(['api.error', 'run.failed', 'process.failed']);

function findRunError(evidence: FailureEvidence, pattern: RegExp): string | undefined {
  return findEvidence(
    {
      ...evidence,
      events: evidence.events.filter((e) => RUN_ERROR_KINDS.has(e.payload.kind ?? '')),
      stderr: stripAnsi(evidence.stderr),
    },
    pattern,
  );
}

function gitTrust(evidence: FailureEvidence): Classification | null {
  const matched = findEvidence({ ...evidence, stderr: stripAnsi(evidence.stderr) }, GIT_TRUST);
  if (matched === undefined) return null;
  if (hasFix(evidence.request, 'skip-git-repo-check')) {
    return escalate('untrusted_git_directory', matched, [
      `Codex still refuses ${evidence.request.cwd} with --skip-git-repo-check; run it inside a git work tree (git init).`,
    ]);
  }
  return relaunch(evidence, 'untrusted_git_directory', matched, { kind: 'skip-git-repo-check' });
}

function auth(evidence: FailureEvidence): Classification | null {
  const missing = findRunError(evidence, MISSING_KEY);
  if (missing !== undefined) {
    const variable = MISSING_KEY.exec(missing)?.[1] ?? 'the API key variable';
    return escalate('auth', missing, [
      `Set ${variable} in this agent's env in orchestrate.config.json (it is the provider's env_key).`,
      'The session can continue at a lower tier without this agent.',
    ]);
  }
  const refused = findRunError(evidence, AUTH);
  if (refused === undefined) return null;
  return escalate('auth', refused, [
    `Codex was refused by its model API (HTTP ${httpStatusIn(refused) ?? 401}): check the key in the provider's env_key variable, or run \`codex login\` for the built-in provider.`,
    'The session can continue at a lower tier without this agent.',
  ]);
}

function apiTrouble(evidence: FailureEvidence): Classification | null {
  const quota = findRunError(evidence, QUOTA);
  if (quota !== undefined) return classifyApiStatus(429, quota, 'Codex');
  const server = findRunError(evidence, SERVER);
  if (server === undefined) return null;
  // Codex hides the server's status behind "high demand"; 5xx is what it stands for.
  return classifyApiStatus(httpStatusIn(server) ?? 500, server, 'Codex');
}

function launchConfig(evidence: FailureEvidence): Classification | null {
  const matched = findRunError(evidence, LAUNCH_CONFIG);
  if (matched === undefined) return null;
  return escalate('launch_config', matched, [
    'Codex rejected its command line or configuration: check extraArgs and env for this agent against `codex exec --help`.',
    'Codex 0.169 removed --full-auto and does not accept -a on exec; providers need wire_api = "responses".',
  ]);
}

/** Pure: the recoverable git-trust refusal first, then config, auth, quota and API errors, then OS permission errors. */
export function classify(evidence: FailureEvidence): Classification | null {
  return (
    gitTrust(evidence) ??
    launchConfig(evidence) ??
    auth(evidence) ??
    apiTrouble(evidence) ??
    classifyPermissionDenied(evidence)
  );
}
