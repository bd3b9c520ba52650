import { z } from 'zod';
import { stepsStartAt, type Conversation } from './engine.js';

/**
 * Reading Claude Code's Messages API requests. Loose schemas: the CLI sends many fields the
 * mock does not need, and new CLI versions add more; only what is read here is checked.
 */
const Block = z.looseObject({ type: z.string() });
const Message = z.looseObject({
  // `system` entries appear mid-conversation (beta mid-conversation-system).
  role: z.string(),
  content: z.union([z.string(), z.array(Block)]),
});
const Tool = z.looseObject({ name: z.string() });
const SystemPrompt = z.union([z.string(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() }))]);

export const MessagesBody = z.looseObject({
  model: z.string().optional(),
  messages: z.array(Message),
  system: SystemPrompt.optional(),
  tools: z.array(Tool).optional(),
  stream: z.boolean().optional(),
});
export type MessagesBody = z.infer<typeof MessagesBody>;
type Msg = z.infer<typeof Message>;

/** The mock's tool_use ids start with this, so logs and transcripts show which calls it made. */
export const MOCK_TOOL_PREFIX = 'toolu_mock_';
/** The answer tool `--json-schema` adds; calling it is the answer, not an action. */
export const STRUCTURED_TOOL = 'StructuredOutput';
/** Offered while an MCP server is still connecting; the mock calls it before a report action. */
export const WAIT_MCP_TOOL = 'WaitForMcpServers';
/** Tool calls the mock makes that are not script actions. */
const NOT_ACTIONS = new Set([STRUCTURED_TOOL, WAIT_MCP_TOOL]);

export interface ClaudeRequest {
  conversation: Conversation;
  model: string;
  stream: boolean;
  /** Names of the tools offered in this request. */
  tools: string[];
  /** The CLI's working directory, from the system prompt's environment section. */
  cwd: string | undefined;
  /** The last model turn called StructuredOutput and this request carries its result. */
  afterStructured: boolean;
  /** The last model turn called WaitForMcpServers (waiting again would loop). */
  afterMcpWait: boolean;
  /** Rough token count of the request, for the usage numbers. */
  inputTokens: number;
}

export type RequestError = { kind: 'request.invalid'; message: string };

const textOf = (field: unknown): string => (typeof field === 'string' ? field : '');

/** The user's own text in a message: harness reminders are not the prompt. */
function userText(message: Msg): string {
  const parts = typeof message.content === 'string' ? [message.content] : message.content.filter((b) => b.type === 'text').map((b) => textOf(b.text));
  return parts
    .filter((t) => !t.trimStart().startsWith('<system-reminder>'))
    .join('\n')
    .trim();
}

const hasToolResult = (message: Msg): boolean => Array.isArray(message.content) && message.content.some((b) => b.type === 'tool_result');

function toolUses(message: Msg): { id: string; name: string }[] {
  if (!Array.isArray(message.content)) return [];
  return message.content.flatMap((b) => (b.type === 'tool_use' && typeof b.id === 'string' && typeof b.name === 'string' ? [{ id: b.id, name: b.name }] : []));
}

/** Index of the prompt message: the latest user message with the header, else the latest typed by a user. */
function promptIndex(messages: Msg[]): number {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role === 'user' && /\[orchestrate\s/.test(userText(m))) return i;
  }
  // Tool results and harness notes ride in user messages too; they are not a new prompt.
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role === 'user' && !hasToolResult(m) && userText(m) !== '' && !userText(m).startsWith('[Your previous response')) return i;
  }
  return -1;
}

/**
 * Model turns after the prompt that called one of the script's actions. Every tool_use in the
 * history is the model's, i.e. the mock's (also in a resumed or recorded conversation), so ids
 * are not checked. One API answer can come back as several consecutive assistant messages, so
 * a turn ends at the next user message.
 */
function countActionTurns(messages: Msg[]): number {
  let turns = 0;
  let inTurn = false;
  for (const m of messages) {
    if (m.role === 'user') inTurn = false;
    if (m.role !== 'assistant' || inTurn) continue;
    if (toolUses(m).some((t) => !NOT_ACTIONS.has(t.name))) {
      turns++;
      inTurn = true;
    }
  }
  return turns;
}

function lastAssistant(messages: Msg[]): Msg | undefined {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]?.role === 'assistant') return messages[i];
  return undefined;
}

function systemText(system: MessagesBody['system']): string {
  if (system === undefined) return '';
  return typeof system === 'string' ? system : system.map((b) => b.text ?? '').join('\n');
}

/** Claude Code states its cwd in the system prompt's "# Environment" section. */
export function cwdOf(system: string): string | undefined {
  const m = /(?:Primary working directory|Working directory):\s*(\S[^\n]*)/.exec(system);
  return m?.[1]?.trim();
}

export function readClaudeRequest(body: unknown): ClaudeRequest | RequestError {
  const parsed = MessagesBody.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
    return { kind: 'request.invalid', message: `mock provider: not a Messages API request (${issues})` };
  }
  const { messages } = parsed.data;
  const at = promptIndex(messages);
  const start = at < 0 ? at : stepsStartAt(messages.map((m) => (m.role === 'user' ? userText(m) : undefined)), at);
  const after = start < 0 ? messages : messages.slice(start + 1);
  const prompt = at < 0 ? '' : userText(messages[at] as Msg);
  const last = lastAssistant(after);
  const lastCalled = (name: string): boolean => last !== undefined && toolUses(last).some((t) => t.name === name) && messages.at(-1)?.role === 'user';
  const system = systemText(parsed.data.system);
  return {
    conversation: { cli: 'claude', prompt, actionTurns: countActionTurns(after) },
    model: parsed.data.model ?? 'claude-mock',
    stream: parsed.data.stream === true,
    tools: (parsed.data.tools ?? []).map((t) => t.name),
    cwd: cwdOf(system),
    afterStructured: lastCalled(STRUCTURED_TOOL),
    afterMcpWait: lastCalled(WAIT_MCP_TOOL),
    inputTokens: Math.max(1, Math.ceil((JSON.stringify(messages).length + system.length) / 4)),
  };
}

export const isRequestError = (value: ClaudeRequest | RequestError): value is RequestError => 'kind' in value;
