import { z } from 'zod';
import { stepsStartAt, type Conversation } from './engine.js';

/**
 * Reading Gemini API requests as Gemini CLI 0.61 sends them (recorded in
 * /work/shared/agent-transcripts/gemini/*.requests.jsonl). Loose schemas: the CLI sends many
 * fields the mock has no use for.
 */

const Part = z.looseObject({
  text: z.string().optional(),
  thought: z.boolean().optional(),
  functionCall: z.looseObject({ name: z.string(), args: z.record(z.string(), z.unknown()).optional(), id: z.string().optional() }).optional(),
  functionResponse: z.looseObject({ name: z.string().optional() }).optional(),
});

const Content = z.looseObject({ role: z.string().optional(), parts: z.array(Part).default([]) });

export const GenerateContentRequest = z.looseObject({
  contents: z.array(Content).default([]),
  systemInstruction: z.looseObject({ parts: z.array(Part).default([]) }).optional(),
  tools: z.array(z.looseObject({ functionDeclarations: z.array(z.looseObject({ name: z.string() })).optional() })).optional(),
  generationConfig: z
    .looseObject({
      responseMimeType: z.string().optional(),
      responseJsonSchema: z.unknown().optional(),
      responseSchema: z.unknown().optional(),
    })
    .optional(),
});
export type GenerateContentRequest = z.infer<typeof GenerateContentRequest>;
type ContentT = z.infer<typeof Content>;

/** `/v1beta/models/gemini-3.8-flash:streamGenerateContent` → model and method. */
const MODEL_PATH = /^\/v1(?:beta|alpha)?\/models\/([^/:]+):([A-Za-z]+)$/;

export function modelPath(path: string): { model: string; method: string } | undefined {
  const m = MODEL_PATH.exec(path);
  return m?.[1] && m[2] ? { model: decodeURIComponent(m[1]), method: m[2] } : undefined;
}

export type ReadResult = { ok: true; request: GenerateContentRequest } | { ok: false; message: string };

export function readRequest(body: unknown): ReadResult {
  const parsed = GenerateContentRequest.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
    return { ok: false, message: `mock provider: cannot read the GenerateContent request: ${issues}` };
  }
  return { ok: true, request: parsed.data };
}

export function offeredTools(request: GenerateContentRequest): string[] {
  return (request.tools ?? []).flatMap((t) => (t.functionDeclarations ?? []).map((f) => f.name));
}

/** The CLI's own helper calls (router classifier, next-speaker check, summaries) ask for JSON or offer no tools. */
export function isSideCall(request: GenerateContentRequest): boolean {
  const config = request.generationConfig;
  if (config?.responseJsonSchema !== undefined || config?.responseSchema !== undefined) return true;
  return offeredTools(request).length === 0;
}

// The CLI puts its environment block into the first user message; it is not the user's prompt.
const isContextText = (text: string): boolean => text.trimStart().startsWith('<session_context>');

function userText(content: ContentT): string {
  return content.parts
    .filter((p) => typeof p.text === 'string' && p.thought !== true && !isContextText(p.text))
    .map((p) => p.text)
    .join('\n');
}

/**
 * Marker lines for a step the CLI has no tool for (todos without `write_todos`, a report tool
 * that is not offered): it becomes text in the same model turn as the next step, and counting
 * the markers keeps the step index right.
 */
export const TODO_MARKER = '[mock todos]';
export const SKIP_MARKER = '[mock skipped]';
const MARKERS = /\[mock (?:todos|skipped)\]/g;

function actionsIn(content: ContentT): number {
  const calls = content.parts.some((p) => p.functionCall !== undefined) ? 1 : 0;
  const skipped = content.parts.reduce((n, p) => n + (p.text && p.thought !== true ? (p.text.match(MARKERS)?.length ?? 0) : 0), 0);
  return calls + skipped;
}

export function conversationOf(request: GenerateContentRequest): Conversation {
  const contents = request.contents;
  const isUser = (c: ContentT): boolean => (c.role ?? 'user') === 'user';
  let at = contents.findLastIndex((c) => isUser(c) && userText(c).includes('[orchestrate'));
  if (at === -1) at = contents.findLastIndex((c) => isUser(c) && userText(c).trim().length > 0);
  const prompt = at === -1 ? '' : userText(contents[at] as ContentT);
  const start = at === -1 ? at : stepsStartAt(contents.map((c) => (isUser(c) ? userText(c) : undefined)), at);
  const actionTurns = contents.slice(start + 1).reduce((n, c) => n + (c.role === 'model' ? actionsIn(c) : 0), 0);
  return { cli: 'gemini', prompt, actionTurns };
}

/** The CLI's target directory: the first of the "Workspace Directories" in its session context. */
export function workingDirectory(request: GenerateContentRequest): string | undefined {
  for (const content of request.contents) {
    for (const part of content.parts) {
      const m = /\*\*Workspace Directories:\*\*\s*\n\s*- (\S[^\n]*)/.exec(part.text ?? '') ?? /working directory: (\/[^\n]*)/i.exec(part.text ?? '');
      if (m?.[1]) return m[1].trim();
    }
  }
  return undefined;
}

/** A rough token count: enough for the CLI to report non-zero usage that grows with the request. */
export function estimateTokens(value: unknown): number {
  return Math.max(1, Math.ceil(JSON.stringify(value ?? '').length / 4));
}
