import type { SandboxConfig } from '../protocol/models.js';
import { classifyCommand } from './command-policy.js';
import type { CommandFinding, CommandVerdict } from './command-policy.js';
import { detectHookInput, toolRequest } from './guard-input.js';
import type { HookFormat, ToolRequest } from './guard-input.js';
import { checkPath } from './path-policy.js';

/**
 * The safety guard that runs as a pre-tool hook of Claude Code (`PreToolUse`) and Gemini CLI
 * (`BeforeTool`): the agents run with their own permission prompts bypassed, so this is where
 * commands and file paths are checked. It answers in the format of the CLI that asked:
 *
 * - allow: exit 0, nothing on stdout ("no decision": the tool runs).
 * - deny: exit 2, the reason on stderr. Both CLIs document exit 2 as "block the tool call and
 *   give stderr to the model as the reason"; both ignore stdout on exit 2
 *   (https://code.claude.com/docs/en/hooks#exit-code-output, https://geminicli.com/docs/hooks/reference).
 *   Gemini only blocks when stderr is not empty (hookRunner.ts), so a deny always has a reason.
 * - ask (Claude only): exit 0 with `{"hookSpecificOutput":{"hookEventName":"PreToolUse",
 *   "permissionDecision":"ask","permissionDecisionReason":…}}`
 *   (https://code.claude.com/docs/en/hooks#pretooluse-decision-control). Gemini hooks have no
 *   "ask" (`decision` is allow or deny), so a command that needs confirmation is denied there.
 *
 * Fail-closed: unparseable input, an unknown input shape, a file/command tool whose arguments
 * cannot be read, and any internal error are denials.
 */

export type GuardDecision = 'allow' | 'deny' | 'ask';

export interface GuardFinding {
  source: 'command' | 'path' | 'input' | 'error';
  class: CommandFinding['class'] | 'refused' | 'invalid' | 'error';
  /** The command, the path (as the tool gave it), or the tool name. */
  subject: string;
  reason: string;
}

export interface GuardResult {
  exitCode: 0 | 2;
  stdout: string;
  stderr: string;
  decision: GuardDecision;
  findings: GuardFinding[];
  /** Which CLI's input this was ('unknown' when it could not be told). */
  format: HookFormat | 'unknown';
  /** Set when the policy asks for a person's confirmation: what to ask about. */
  confirm?: { tool: string; subject: string; why: string; cwd: string };
}

export interface GuardOptions {
  allowedRoots: string[];
  /** Command lists (and more allowed roots) from the configuration. */
  sandbox?: Partial<SandboxConfig>;
  /** There is never a person to ask inside the hook itself; kept for the API's sake. */
  interactiveConfirm?: false;
  /**
   * What Claude gets for a command that needs confirmation: `ask` (the documented permission
   * decision; the default) or `deny` (for Claude versions or modes where "ask" is not honoured).
   */
  claudeConfirm?: 'ask' | 'deny';
  /** Used when the hook input has no `cwd` (default: this process's working directory). */
  cwd?: string;
  /** What `~` means (default: the current user's home). */
  home?: string;
}

const PREFIX = 'orchestrate guard';

/** Decides on one hook input (already parsed from JSON). Never throws. */
export function decideHookInput(raw: unknown, opts: GuardOptions): GuardResult {
  try {
    return decide(raw, opts);
  } catch (error) {
    const reason = `internal error while checking the tool call (${error instanceof Error ? error.message : String(error)}); denied to be safe`;
    return deny('unknown', 'the tool call', [{ source: 'error', class: 'error', subject: 'guard', reason }]);
  }
}

/** Decides on the raw text of a hook's stdin: text that is not JSON is denied. Never throws. */
export function decideHookText(text: string, opts: GuardOptions): GuardResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const reason = `the hook input is not valid JSON (${error instanceof Error ? error.message : String(error)}); denied to be safe`;
    return deny('unknown', 'the tool call', [{ source: 'input', class: 'invalid', subject: 'stdin', reason }]);
  }
  return decideHookInput(raw, opts);
}

/** A denial in the neutral format (exit 2 + stderr), for failures before any input was read. */
export function denyForError(reason: string): GuardResult {
  return deny('unknown', 'the tool call', [{ source: 'error', class: 'error', subject: 'guard', reason }]);
}

function decide(raw: unknown, opts: GuardOptions): GuardResult {
  const input = detectHookInput(raw);
  if (input.kind === 'invalid') {
    return deny(input.format, 'the tool call', [{ source: 'input', class: 'invalid', subject: 'hook input', reason: `${input.reason}; denied to be safe` }]);
  }
  if (input.kind === 'other-event') {
    return { exitCode: 0, stdout: '', stderr: `${PREFIX}: ${input.event} is not a tool call; nothing to check.\n`, decision: 'allow', findings: [], format: input.format };
  }
  const { format, toolName } = input;
  const request = toolRequest(toolName, input.toolInput);
  if (request === null) return allow(format, toolName, []);
  if (request.problems.length > 0) {
    const reason = `cannot check ${toolName}: ${request.problems.join('; ')}; denied to be safe`;
    return deny(format, toolName, [{ source: 'input', class: 'invalid', subject: toolName, reason }]);
  }
  const cwd = input.cwd ?? opts.cwd ?? process.cwd();
  const { findings, verdict } = check(request, cwd, opts);
  if (verdict === 'block') return deny(format, toolName, findings);
  if (verdict === 'confirm') {
    const result = confirm(format, toolName, findings, opts.claudeConfirm ?? 'ask');
    const subject = findings.find((f) => f.class === 'confirm' || f.class === 'monitor' || f.class === 'unparseable')?.subject ?? toolName;
    return { ...result, confirm: { tool: toolName, subject, why: confirmWhy(findings), cwd } };
  }
  return allow(format, toolName, findings);
}

function check(request: ToolRequest, cwd: string, opts: GuardOptions): { findings: GuardFinding[]; verdict: CommandVerdict } {
  const findings: GuardFinding[] = [];
  let verdict: CommandVerdict = 'allow';
  const worst = (v: CommandVerdict): void => {
    if (v === 'block' || (v === 'confirm' && verdict === 'allow')) verdict = v;
  };
  const sandbox = opts.sandbox ?? {};
  const commandConfig = {
    ...(sandbox.blockedCommands ? { blockedCommands: sandbox.blockedCommands } : {}),
    ...(sandbox.confirmCommands ? { confirmCommands: sandbox.confirmCommands } : {}),
    ...(sandbox.monitorPatterns ? { monitorPatterns: sandbox.monitorPatterns } : {}),
  };
  for (const command of request.commands) {
    const decision = classifyCommand(command, commandConfig);
    worst(decision.verdict);
    for (const f of decision.findings) findings.push({ source: 'command', class: f.class, subject: f.command, reason: f.reason });
  }
  const allowedRoots = [...opts.allowedRoots, ...(sandbox.allowedRoots ?? [])];
  const refusePath = (subject: string, reason: string): void => {
    worst('block');
    findings.push({ source: 'path', class: 'refused', subject, reason });
  };
  for (const { path, intent } of request.paths) {
    const result = checkPath(path, { allowedRoots, cwd, intent, ...(opts.home ? { home: opts.home } : {}) });
    if (!result.ok) refusePath(path, result.reason);
  }
  for (const { pattern, base } of request.globs) {
    const prefix = globLiteralPrefix(pattern);
    if ('problem' in prefix) {
      refusePath(pattern, prefix.problem);
      continue;
    }
    const path = base === undefined || prefix.path.startsWith('/') || prefix.path.startsWith('~') ? prefix.path : `${base}/${prefix.path}`;
    const result = checkPath(path, { allowedRoots, cwd, intent: 'read', ...(opts.home ? { home: opts.home } : {}) });
    if (!result.ok) refusePath(pattern, `The glob pattern ${JSON.stringify(pattern)} searches from ${path}: ${result.reason}`);
  }
  return { findings, verdict };
}

const GLOB_CHARS = /[*?[\]{}]/;

/** The directory a glob pattern starts searching from: its leading components without glob characters. */
export function globLiteralPrefix(pattern: string): { path: string } | { problem: string } {
  const parts = pattern.split('/');
  const firstGlob = parts.findIndex((part) => GLOB_CHARS.test(part));
  const literal = firstGlob === -1 ? parts : parts.slice(0, firstGlob);
  const rest = firstGlob === -1 ? [] : parts.slice(firstGlob);
  if (rest.includes('..')) {
    return { problem: `The glob pattern ${JSON.stringify(pattern)} climbs with ".." after a wildcard, so where it reads cannot be checked.` };
  }
  const path = literal.join('/');
  if (path === '') return { path: pattern.startsWith('/') ? '/' : '.' };
  return { path };
}

function reasons(findings: GuardFinding[], classes: GuardFinding['class'][]): string {
  return findings
    .filter((f) => classes.includes(f.class))
    .map((f) => f.reason.trim().replace(/([^.!?])$/, '$1.'))
    .join(' ');
}

function monitored(findings: GuardFinding[]): string {
  const text = reasons(findings, ['monitor']);
  return text === '' ? '' : ` Also noted (monitored): ${text}`;
}

function allow(format: HookFormat | 'unknown', tool: string, findings: GuardFinding[]): GuardResult {
  const note = monitored(findings);
  // Exit 0 with no stdout leaves the tool call to the CLI; a monitor note goes to stderr, which
  // neither CLI treats as a decision on exit 0 (Claude shows it in debug output only).
  const stderr = note === '' ? '' : `${PREFIX}: allowed ${tool}.${note}\n`;
  return { exitCode: 0, stdout: '', stderr, decision: 'allow', findings, format };
}

function deny(format: HookFormat | 'unknown', tool: string, findings: GuardFinding[]): GuardResult {
  const why = reasons(findings, ['blocked', 'unparseable', 'refused', 'invalid', 'error']) || reasons(findings, ['confirm']);
  const stderr = why === '' ? `${PREFIX} denied ${tool}: ${reasons(findings, ['monitor']) || 'denied by policy.'}\n` : `${PREFIX} denied ${tool}: ${why}${monitored(findings)}\n`;
  return { exitCode: 2, stdout: '', stderr, decision: 'deny', findings, format };
}

function confirmWhy(findings: GuardFinding[]): string {
  // The policy may ask for confirmation because of what it monitors or could not parse, too.
  const main = reasons(findings, ['confirm', 'unparseable', 'blocked']);
  return (main || reasons(findings, ['monitor']) || 'the policy asks for a confirmation.') + (main ? monitored(findings) : '');
}

/** The answer once a person decided on a call that needed confirmation (`orchestrate guard --confirm-dir`). */
export function afterConfirmation(result: GuardResult, answer: { approve: boolean; reason?: string | undefined }): GuardResult {
  const tool = result.confirm?.tool ?? 'the tool call';
  if (answer.approve) {
    return { exitCode: 0, stdout: '', stderr: `${PREFIX}: ${tool} confirmed by the user.\n`, decision: 'allow', findings: result.findings, format: result.format };
  }
  const why = answer.reason ? `: ${answer.reason}` : '';
  const stderr = `${PREFIX} denied ${tool}: not confirmed${why}. Do not retry it; report a blocker if the task needs it.\n`;
  return { exitCode: 2, stdout: '', stderr, decision: 'deny', findings: result.findings, format: result.format };
}

function confirm(format: HookFormat | 'unknown', tool: string, findings: GuardFinding[], claudeConfirm: 'ask' | 'deny'): GuardResult {
  const why = confirmWhy(findings);
  if (format === 'claude' && claudeConfirm === 'ask') {
    const reason = `${PREFIX}: ${tool} needs confirmation: ${why}`;
    const stdout = `${JSON.stringify({ hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'ask', permissionDecisionReason: reason } })}\n`;
    return { exitCode: 0, stdout, stderr: '', decision: 'ask', findings, format };
  }
  const stderr =
    `${PREFIX} denied ${tool}: it needs confirmation and there is no one to confirm it in this session. ${why}` +
    ' Ask the orchestrator (report_blocker) instead of retrying.\n';
  return { exitCode: 2, stdout: '', stderr, decision: 'deny', findings, format };
}
