import type { Readable, Writable } from 'node:stream';
import { loadConfig } from '../config/load.js';
import { awaitAnswer, newConfirmationId, writeRequest } from '../safety/confirmations.js';
import { afterConfirmation, decideHookText, denyForError } from '../safety/guard.js';
import type { GuardOptions, GuardResult } from '../safety/guard.js';

/**
 * `orchestrate guard`: one pre-tool hook call. Reads one hook input JSON from stdin, writes the
 * answer in the calling CLI's format and returns its exit code (0 allow/ask, 2 deny). Every
 * failure (bad config, unreadable or endless stdin, an internal error) is a denial with exit 2,
 * because any other exit code lets the tool run in both Claude Code and Gemini CLI.
 */

export interface GuardCliOptions {
  allowRoot: string[];
  config?: string;
  confirmAs?: 'ask' | 'deny';
  /** The session's confirmations folder: a call that needs confirmation waits there for the user's answer. */
  confirmDir?: string;
  /** Seconds to wait for that answer before denying. */
  confirmTimeout?: number;
}

export const DEFAULT_CONFIRM_TIMEOUT_S = 300;

export interface GuardIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  cwd?: string;
}

/** Hook inputs carry whole files (Write content); more than this is not a hook input. */
const MAX_INPUT_BYTES = 64 * 1024 * 1024;
/** The CLIs time hooks out (60 s) and then run the tool anyway: answer well before that. */
const STDIN_TIMEOUT_MS = 20_000;

export async function runGuard(options: GuardCliOptions, io: GuardIo): Promise<number> {
  let result: GuardResult;
  try {
    result = await decide(options, io);
  } catch (error) {
    result = denyForError(`the guard failed (${error instanceof Error ? error.message : String(error)}); denied to be safe`);
  }
  io.stdout.write(result.stdout);
  io.stderr.write(result.stderr);
  return result.exitCode;
}

async function decide(options: GuardCliOptions, io: GuardIo): Promise<GuardResult> {
  const cwd = io.cwd ?? process.cwd();
  const guardOptions: GuardOptions = { allowedRoots: options.allowRoot, claudeConfirm: options.confirmAs ?? 'ask', cwd };
  if (options.config !== undefined) {
    const loaded = loadConfig({ target: cwd, configPath: options.config });
    if (!loaded.ok) return denyForError(`the guard configuration could not be loaded: ${loaded.errors.join('; ')}; denied to be safe`);
    guardOptions.sandbox = loaded.config.safety;
  }
  if (guardOptions.allowedRoots.length === 0 && (guardOptions.sandbox?.allowedRoots ?? []).length === 0) {
    return denyForError('no allowed roots are configured (pass --allow-root DIR or set safety.allowedRoots); denied to be safe');
  }
  const text = await readAll(io.stdin);
  const result = decideHookText(text, guardOptions);
  if (!result.confirm || options.confirmDir === undefined) return result;
  return askTheUser(result, options.confirmDir, (options.confirmTimeout ?? DEFAULT_CONFIRM_TIMEOUT_S) * 1000);
}

/** Puts the call before the user (terminal UI, dashboard) and answers with their decision. */
async function askTheUser(result: GuardResult, dir: string, timeoutMs: number): Promise<GuardResult> {
  const c = result.confirm;
  if (!c) return result;
  const id = newConfirmationId();
  const cli = result.format === 'claude' || result.format === 'gemini' ? result.format : 'unknown';
  writeRequest(dir, { id, at: new Date().toISOString(), tool: c.tool, subject: c.subject, reason: c.why, cli, cwd: c.cwd });
  const outcome = await awaitAnswer(dir, id, timeoutMs);
  if (outcome.kind === 'timeout') return afterConfirmation(result, { approve: false, reason: `no answer within ${Math.round(timeoutMs / 1000)} s` });
  return afterConfirmation(result, outcome.answer);
}

function readAll(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => finish(new Error(`no complete hook input on stdin within ${STDIN_TIMEOUT_MS / 1000} s`)), STDIN_TIMEOUT_MS);
    const finish = (error: Error | null): void => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', finish);
      if (error) {
        stream.destroy();
        reject(error);
      } else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onData = (chunk: Buffer | string): void => {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buffer.length;
      if (size > MAX_INPUT_BYTES) finish(new Error(`the hook input is larger than ${MAX_INPUT_BYTES} bytes`));
      else chunks.push(buffer);
    };
    const onEnd = (): void => finish(null);
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', finish);
  });
}
