import { posix } from 'node:path';
import type { AgentEventDraft } from '../../protocol/index.js';
import { isRecord } from '../common/events.js';
import { fixDirs, hasFix, withFix } from '../common/fixes.js';
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
import { buildCommand } from './command.js';

const AGENT = 'Claude Code';
const ROOT_REFUSAL = /--dangerously-skip-permissions cannot be used with root\/sudo privileges/;
const NOT_GRANTED = /Claude requested permissions to (?:[a-z]+ )+?(\/\S+), but you haven't granted it yet/;
const LAUNCH_CONFIG =
  /requires --verbose|Input must be provided either through stdin or as a prompt argument|error: unknown option|error: option .* argument missing/;
const AUTH_TEXT = /Not logged in|Invalid API key|authentication_failed|OAuth token has expired/;

const firstLine = (text: string): string => text.split('\n')[0]?.trim() ?? text;

function rootRefusal(evidence: FailureEvidence): Classification | null {
  const matched = findEvidence(evidence, ROOT_REFUSAL);
  if (matched === undefined) return null;
  const fixed = withFix(evidence.request, { kind: 'is-sandbox-env' });
  // Only relaunch when the fix really changes the launch: IS_SANDBOX may already be "1"
  // (root), or a user env may pin another value over ours.
  const before = buildCommand(evidence.request).env.IS_SANDBOX;
  if (hasFix(evidence.request, 'is-sandbox-env') || before === '1' || buildCommand(fixed).env.IS_SANDBOX !== '1') {
    return escalate('root_refusal', matched, [
      'Claude Code refuses --dangerously-skip-permissions as root even with the orchestrator setting IS_SANDBOX=1.',
      'Check that the agent env in orchestrate.config.json does not override IS_SANDBOX (it must be exactly "1").',
      'Or run orchestrate as a non-root user.',
    ]);
  }
  return relaunch(evidence, 'root_refusal', matched, { kind: 'is-sandbox-env' });
}

function deniedPaths(events: readonly AgentEventDraft[]): { matched?: string; paths: string[]; tools: string[] } {
  let matched: string | undefined;
  const paths: string[] = [];
  const tools: string[] = [];
  for (const e of events) {
    if (e.type !== 'error') continue;
    if (e.payload.kind === 'permission.denials' && Array.isArray(e.payload.denials)) {
      matched ??= firstLine(e.payload.text);
      for (const d of e.payload.denials.filter(isRecord)) {
        if (typeof d.path === 'string') paths.push(d.path);
        else if (typeof d.tool === 'string') tools.push(d.tool);
      }
    } else if (e.payload.kind === 'tool.failed') {
      const m = NOT_GRANTED.exec(e.payload.text);
      if (m?.[1]) {
        matched ??= m[0];
        paths.push(m[1]);
      }
    }
  }
  return { ...(matched === undefined ? {} : { matched }), paths: [...new Set(paths)], tools: [...new Set(tools)] };
}

function permissionDenials(evidence: FailureEvidence): Classification | null {
  const { matched, paths, tools } = deniedPaths(evidence.events);
  if (matched === undefined) return null;
  // Calls our guard refused (policy, or the user said no) are listed as denials too; they are
  // findings already, not a permission problem a relaunch could or should fix.
  const byGuard = evidence.events.filter((e) => e.type === 'finding' && e.payload.kind === 'policy.refused').length;
  if (byGuard >= paths.length + tools.length) return null;
  const { request } = evidence;
  if (request.mode !== 'work') {
    return escalate('permission_denials', matched, [
      `The ${request.role} ran in ${request.mode} mode and was refused: ${[...paths, ...tools].join(', ')}.`,
      'Reviewers and read-only agents must not write; if it only needs to read there, add the directory to the allowed roots.',
      'Otherwise check the prompt: the agent tried to act outside its role.',
    ]);
  }
  const known = new Set([...request.extraDirs, ...fixDirs(request, 'add-dir')]);
  const dirs = [...new Set(paths.map((p) => posix.dirname(p)))].filter((d) => !known.has(d));
  if (dirs.length === 0) {
    return escalate('permission_denials', matched, [
      paths.length > 0
        ? `The directories of ${paths.join(', ')} were already added with --add-dir and are still refused.`
        : `Claude Code refused tools without a path (${tools.join(', ') || 'unknown'}); no --add-dir can allow them.`,
      'Check the permission mode and allowed tools of this agent in orchestrate.config.json.',
    ]);
  }
  return relaunch(evidence, 'permission_denials', matched, { kind: 'add-dir', dirs });
}

function launchConfig(evidence: FailureEvidence): Classification | null {
  const matched = findEvidence(evidence, LAUNCH_CONFIG);
  if (matched === undefined) return null;
  return escalate('launch_config', matched, [
    'Claude Code rejected its command line; this installed version may not match the flags orchestrate passes.',
    'Check `claude --version` and the extraArgs of this agent in orchestrate.config.json.',
  ]);
}

function apiFailure(evidence: FailureEvidence): Classification | null {
  for (const e of evidence.events) {
    if (e.type !== 'error' || (e.payload.kind !== 'api.error' && e.payload.kind !== 'run.failed')) continue;
    const matched = firstLine(e.payload.text);
    const status = e.payload.apiStatus ?? httpStatusIn(e.payload.text);
    const code = typeof e.payload.errorCode === 'string' ? e.payload.errorCode : '';
    if (status === 401 || status === 403 || AUTH_TEXT.test(`${code} ${e.payload.text}`)) {
      return escalate('auth', matched, [
        `${AGENT} could not authenticate with its model API${status ? ` (HTTP ${status})` : ''}.`,
        'Set ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL for a gateway) in this agent\'s env in orchestrate.config.json, or log in with `claude /login` under the agent HOME.',
        'The session can continue at a lower tier without this agent.',
      ]);
    }
    if (code === 'rate_limit') return classifyApiStatus(429, matched, AGENT);
    if (status !== undefined) {
      const classified = classifyApiStatus(status, matched, AGENT);
      if (classified) return classified;
    }
  }
  return null;
}

/** Specific recoverable kinds first, then launch/auth/quota/API, then a generic OS permission error. */
export function classify(evidence: FailureEvidence): Classification | null {
  const clean: FailureEvidence = { ...evidence, stderr: stripAnsi(evidence.stderr) };
  return (
    rootRefusal(clean) ??
    permissionDenials(clean) ??
    launchConfig(clean) ??
    apiFailure(clean) ??
    classifyPermissionDenied(clean)
  );
}
