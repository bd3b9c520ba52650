import { randomBytes } from 'node:crypto';
import { isAbsolute, join } from 'node:path';
import type { Step } from './engine.js';
import { SKIP_MARKER, TODO_MARKER } from './gemini-request.js';
import type { ScriptAction } from './script.js';

/** The shapes of the Gemini API's GenerateContentResponse the CLI reads. */
export type GeminiPart = { text: string } | { functionCall: { name: string; args: Record<string, unknown> } };

export interface RenderContext {
  /** Function names the request offers. */
  tools: readonly string[];
  /** The CLI's target directory, when the request says. */
  cwd: string | undefined;
}

export const SHELL_TOOL = 'run_shell_command';
export const WRITE_TOOL = 'write_file';
export const TODO_TOOL = 'write_todos';
export const DEFAULT_NOEXEC = './noexec.sh';
export const DEFAULT_OUTSIDE = '/var/tmp/orchestrate-outside/outside.txt';

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

const call = (name: string, args: Record<string, unknown>): GeminiPart => ({ functionCall: { name, args } });

const shell = (command: string, description: string): GeminiPart => call(SHELL_TOOL, { command, description });

function absolute(path: string, cwd: string | undefined): string {
  return isAbsolute(path) || !cwd ? path : join(cwd, path);
}

/**
 * Gemini shows MCP tools as `<server>_<tool>` (MCP_QUALIFIED_NAME_SEPARATOR "_"), older
 * versions unqualified; take the offered name, our own server's first.
 */
export function reportToolName(tool: string, offered: readonly string[], override?: string): string | undefined {
  if (override !== undefined) return offered.includes(override) ? override : undefined;
  const fits = offered.filter((n) => n === tool || n.endsWith(`_${tool}`));
  return fits.find((n) => n.includes('orchestrate')) ?? fits[0];
}

/**
 * A file that exists but may not be executed gives the shell's real "Permission denied"; the
 * mock creates it when missing and removes it again, so the workspace is left as it was.
 */
function permissionDeniedCommand(path: string): string {
  const p = shellQuote(path);
  return `made=; if [ ! -e ${p} ]; then printf '#!/bin/sh\\n' > ${p} && chmod 644 ${p} && made=1; fi; ${path}; rc=$?; if [ -n "$made" ]; then rm -f ${p}; fi; exit $rc`;
}

/** One action as the parts of one model turn; `undefined` when the CLI cannot play it (handled by the caller). */
export function actionParts(action: ScriptAction, ctx: RenderContext): GeminiPart[] {
  if ('shell' in action) return [shell(action.shell, 'mock: run a shell command')];
  if ('write' in action) return [call(WRITE_TOOL, { file_path: absolute(action.write.path, ctx.cwd), content: action.write.content })];
  if ('report' in action) {
    const name = reportToolName(action.report.tool, ctx.tools, action.report.name);
    if (name) return [call(name, action.report.arguments)];
    return [{ text: `${SKIP_MARKER} mock provider: the CLI offers no tool for ${action.report.name ?? action.report.tool} (offered: ${ctx.tools.join(', ') || 'none'}).\n\n` }];
  }
  if ('todos' in action) {
    const todos = action.todos.map((t) => ({ description: t.text, status: t.status }));
    if (ctx.tools.includes(TODO_TOOL)) return [call(TODO_TOOL, { todos })];
    return [{ text: todoText(action.todos) }];
  }
  if (action.fail.kind === 'permission_denied') {
    const command = action.fail.command ?? permissionDeniedCommand(action.fail.path ?? DEFAULT_NOEXEC);
    return [shell(command, 'mock: run a file that is not executable')];
  }
  const path = absolute(action.fail.path ?? DEFAULT_OUTSIDE, ctx.cwd);
  // Without content it is a read: plan mode (architect, reviewers) may not write at all, but its
  // reads outside the workspace meet the same "Path not in workspace" check.
  if (action.fail.content === undefined) return [call('read_file', { file_path: path })];
  return [call(WRITE_TOOL, { file_path: path, content: action.fail.content })];
}

export function todoText(todos: readonly { text: string; status: string }[]): string {
  return `${TODO_MARKER}\n${todos.map((t) => `- [${t.status}] ${t.text}`).join('\n')}\n\n`;
}

/** True when the parts end the turn (text only): the CLI will not call back for the next step. */
export const endsTurn = (parts: readonly GeminiPart[]): boolean => parts.every((p) => 'text' in p);

/**
 * The final answer as text. Gemini has no schema flag (promptWithSchema puts the schema in the
 * prompt), so a structured answer is its JSON. With text too, both land in one message (the CLI
 * merges a turn's text chunks): the JSON follows the text, fenced when the text itself has
 * braces, so parseAnswer (src/machines/plan.ts) finds it either way.
 */
export function finalText(step: Extract<Step, { kind: 'final' }>): string {
  const json = step.structured === undefined ? undefined : JSON.stringify(step.structured);
  if (json === undefined) return step.text ?? 'mock provider: done';
  if (step.text === undefined || step.text.trim() === '') return json;
  const plain = !/[{}]|```/.test(step.text);
  return plain ? `${step.text}\n\n${json}` : `${step.text}\n\n\`\`\`json\n${json}\n\`\`\``;
}

/** Split text into a few stream chunks, so the CLI's delta handling is exercised. */
export function textChunks(text: string, size = 48): string[] {
  if (text.length === 0) return [''];
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

export interface Usage {
  promptTokenCount: number;
  candidatesTokenCount: number;
  totalTokenCount: number;
}

export const usageOf = (prompt: number, output: number): Usage => ({
  promptTokenCount: prompt,
  candidatesTokenCount: output,
  totalTokenCount: prompt + output,
});

export function responseChunk(parts: readonly GeminiPart[], model: string, usage: Usage, finish: boolean, responseId: string): Record<string, unknown> {
  return {
    candidates: [{ content: { role: 'model', parts }, ...(finish ? { finishReason: 'STOP' } : {}), index: 0 }],
    usageMetadata: usage,
    modelVersion: model,
    responseId,
  };
}

export const newResponseId = (): string => randomBytes(12).toString('base64url');

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** Google's error shape, as the CLI prints it back: `{"error":{"code":500,"message":…,"status":"INTERNAL"}}`. */
export function errorBody(status: number, message: string): { error: { code: number; message: string; status: string } } {
  return { error: { code: status, message, status: STATUS_NAMES[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION') } };
}
