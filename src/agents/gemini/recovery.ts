import { dirname, resolve } from 'node:path';
import { fixDirs, hasFix } from '../common/fixes.js';
import { classifyApiStatus, classifyPermissionDenied, escalate, findEvidence, httpStatusIn, relaunch, stripAnsi } from '../common/recovery.js';
import type { Classification, FailureEvidence } from '../types.js';

/** Today's wording (Config.validatePathAccess), the policy checker's, and the pre-0.61 one. */
const OUTSIDE = /Path not in workspace|is outside of the allowed workspace directories|[Pp]ath must be within one of the workspace directories/;
const OUTSIDE_PATH = [/Attempted path "([^"]+)"/, /Path "([^"]+)" in argument/];
const UNTRUSTED = /not running in a trusted directory/;
const AUTH = /Invalid auth method selected\.|Please set an Auth method/;
const LAUNCH = /Unknown argument|Cannot use both --yolo/;

const EXIT_AUTH = 41;
const EXIT_UNTRUSTED = 55;

function failedExit(evidence: FailureEvidence): boolean {
  return evidence.exit !== undefined && evidence.exit.exitCode !== 0;
}

function outsidePath(line: string): string | undefined {
  for (const re of OUTSIDE_PATH) {
    const m = re.exec(line);
    if (m?.[1]) return m[1];
  }
  return undefined;
}

/** Every refused path: from the error text, else from the file the failed tool call named. */
function outsideDirs(evidence: FailureEvidence): string[] {
  const paths: string[] = [];
  for (const e of evidence.events) {
    if (e.type !== 'error' || !OUTSIDE.test(e.payload.text)) continue;
    const p = outsidePath(e.payload.text) ?? e.payload.file;
    if (p) paths.push(p);
  }
  for (const line of evidence.stderr.split('\n')) {
    const p = OUTSIDE.test(line) ? outsidePath(line) : undefined;
    if (p) paths.push(p);
  }
  const dirs: string[] = [];
  for (const p of paths) {
    const d = dirname(resolve(evidence.request.cwd, p));
    if (!dirs.includes(d)) dirs.push(d);
  }
  return dirs;
}

function classifyOutside(evidence: FailureEvidence): Classification | null {
  const matched = findEvidence(evidence, OUTSIDE);
  if (matched === undefined) return null;
  const allowed = new Set([...evidence.request.extraDirs, ...fixDirs(evidence.request, 'include-directories')]);
  const dirs = outsideDirs(evidence).filter((d) => !allowed.has(d));
  if (dirs.length > 0) return relaunch(evidence, 'path_outside_workspace', matched, { kind: 'include-directories', dirs });
  return escalate('path_outside_workspace', matched, [
    'Gemini refused a path outside its workspace, and the path is unknown or already included.',
    'If the agent really needs it, add the directory to the allowed roots in orchestrate.config.json and resume.',
  ]);
}

function classifyUntrusted(evidence: FailureEvidence): Classification | null {
  const matched = findEvidence(evidence, UNTRUSTED) ?? (evidence.exit?.exitCode === EXIT_UNTRUSTED ? 'exit code 55' : undefined);
  if (matched === undefined) return null;
  if (!hasFix(evidence.request, 'skip-trust')) return relaunch(evidence, 'untrusted_folder', matched, { kind: 'skip-trust' });
  return escalate('untrusted_folder', matched, [
    'Gemini still refuses the folder with --skip-trust and GEMINI_CLI_TRUST_WORKSPACE=true.',
    `Trust ${evidence.request.cwd} once in interactive gemini, or check security.folderTrust in its settings.json.`,
  ]);
}

function classifyAuth(evidence: FailureEvidence): Classification | null {
  const matched = findEvidence(evidence, AUTH) ?? (evidence.exit?.exitCode === EXIT_AUTH ? 'exit code 41' : undefined);
  if (matched === undefined) return null;
  const settings = evidence.request.home ? `${evidence.request.home}/.gemini/settings.json` : '~/.gemini/settings.json';
  return escalate('auth', matched, [
    `With GOOGLE_GEMINI_BASE_URL set, put "security":{"auth":{"selectedType":"gemini-api-key"}} in ${settings}.`,
    'Set GEMINI_API_KEY in the agent env (orchestrate.config.json), or GOOGLE_GENAI_USE_VERTEXAI / GOOGLE_GENAI_USE_GCA for other auth.',
    'Check with: gemini --skip-trust -p "Say hello" in the same HOME.',
  ]);
}

function classifyApi(evidence: FailureEvidence): Classification | null {
  // The stream's own API error first; a status inferred from the exit code (process.failed) last.
  const errors = evidence.events.filter((e) => e.type === 'error' && e.payload.apiStatus !== undefined);
  const reported = errors.filter((e) => e.payload.kind !== 'process.failed');
  for (const e of reported) {
    const found = classifyApiStatus(e.payload.apiStatus ?? 0, e.payload.text, 'Gemini');
    if (found) return found;
  }
  // A retry that later succeeded also logs "status 500" on stderr, so stderr only counts after a failure.
  if (!failedExit(evidence)) return null;
  for (const raw of evidence.stderr.split('\n')) {
    const line = raw.trim();
    const status = httpStatusIn(line);
    const found = status === undefined ? null : classifyApiStatus(status, line, 'Gemini');
    if (found) return found;
  }
  for (const e of errors) {
    const found = classifyApiStatus(e.payload.apiStatus ?? 0, e.payload.text, 'Gemini');
    if (found) return found;
  }
  return null;
}

function classifyLaunch(evidence: FailureEvidence): Classification | null {
  if (!failedExit(evidence)) return null;
  const matched = findEvidence(evidence, LAUNCH);
  if (matched === undefined) return null;
  return escalate('launch_config', matched, [
    'Gemini rejected its command line: check extraArgs for this agent in orchestrate.config.json.',
  ]);
}

/** Specific recoverable kinds first, then auth/quota/API, then a plain OS permission error. */
export function classify(evidence: FailureEvidence): Classification | null {
  const clean: FailureEvidence = { ...evidence, stderr: stripAnsi(evidence.stderr) };
  return (
    classifyOutside(clean) ??
    classifyUntrusted(clean) ??
    classifyAuth(clean) ??
    classifyApi(clean) ??
    classifyLaunch(clean) ??
    classifyPermissionDenied(clean)
  );
}
