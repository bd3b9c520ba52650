import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * Commands that need a person's confirmation travel through files in the session's
 * `confirmations/` folder: the guard (a hook process of the agent CLI) writes a request and waits
 * for the answer file the orchestrator writes when the user decides in the terminal UI or the
 * dashboard. Files, not a socket: the guard may run inside the agent's sandbox, where only the
 * session folder is shared, and a request survives an orchestrator restart.
 */
export const ConfirmationRequest = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/),
  at: z.string(),
  tool: z.string(),
  /** The command or path that needs confirmation. */
  subject: z.string(),
  reason: z.string(),
  cli: z.enum(['claude', 'gemini', 'unknown']),
  cwd: z.string(),
});
export type ConfirmationRequest = z.infer<typeof ConfirmationRequest>;

export const ConfirmationAnswer = z.strictObject({
  id: z.string(),
  approve: z.boolean(),
  reason: z.string().optional(),
  /** Who answered: `user` (terminal UI, dashboard) or `orchestrate` (nobody could be asked). */
  by: z.enum(['user', 'orchestrate']),
  at: z.string(),
});
export type ConfirmationAnswer = z.infer<typeof ConfirmationAnswer>;

export const requestFile = (dir: string, id: string): string => join(dir, `${id}.request.json`);
export const answerFile = (dir: string, id: string): string => join(dir, `${id}.answer.json`);
export const newConfirmationId = (): string => `c-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;

/** Written under a temporary name and renamed: a reader never sees half a file. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

function readJson<T>(path: string, schema: z.ZodType<T>): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    // Not there yet (the usual case while waiting), or being replaced.
    return undefined;
  }
}

export const readAnswer = (dir: string, id: string): ConfirmationAnswer | undefined => readJson(answerFile(dir, id), ConfirmationAnswer);

export function writeRequest(dir: string, request: ConfirmationRequest): void {
  mkdirSync(dir, { recursive: true });
  writeJsonAtomic(requestFile(dir, request.id), request);
}

/** Requests that have no answer yet, oldest first. */
export function pendingRequests(dir: string): ConfirmationRequest[] {
  if (!existsSync(dir)) return [];
  const out: ConfirmationRequest[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.request.json')).sort()) {
    const request = readJson(join(dir, name), ConfirmationRequest);
    if (request && !existsSync(answerFile(dir, request.id))) out.push(request);
  }
  return out;
}

export type AwaitResult = { kind: 'answered'; answer: ConfirmationAnswer } | { kind: 'timeout' };

/** Polls for the answer; the hook process has nothing else to do meanwhile. */
export async function awaitAnswer(dir: string, id: string, timeoutMs: number, pollMs = 200): Promise<AwaitResult> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const answer = readAnswer(dir, id);
    if (answer) return { kind: 'answered', answer };
    if (Date.now() >= end) return { kind: 'timeout' };
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, Math.max(1, end - Date.now()))));
  }
}
