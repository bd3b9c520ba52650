import { z } from 'zod';
import { stepsStartAt, type Conversation } from './engine.js';

/**
 * Reading a Codex `POST /v1/responses` body. Codex sends dozens of fields that the mock does
 * not need, so the schemas are loose and only pin what the answer depends on.
 */
const ContentPart = z.looseObject({ type: z.string().optional(), text: z.string().optional() });
const ToolSpec = z.looseObject({
  type: z.string(),
  name: z.string().optional(),
  description: z.string().optional(),
  get tools(): z.ZodOptional<z.ZodArray<typeof ToolSpec>> {
    return z.array(ToolSpec).optional();
  },
});
type ToolSpec = z.infer<typeof ToolSpec>;

const InputItem = z.looseObject({
  type: z.string().optional(),
  role: z.string().optional(),
  content: z.union([z.string(), z.array(ContentPart)]).optional(),
  name: z.string().optional(),
  call_id: z.string().optional(),
  tools: z.array(ToolSpec).optional(),
});
type InputItem = z.infer<typeof InputItem>;

export const ResponsesBody = z.looseObject({
  model: z.string().optional(),
  // The API also takes a bare string as the whole input.
  input: z.union([z.string(), z.array(InputItem)]),
  tools: z.array(ToolSpec).optional(),
  text: z.looseObject({ format: z.looseObject({ type: z.string() }).optional() }).optional(),
});
export type ResponsesBody = z.infer<typeof ResponsesBody>;

/**
 * How this request lets the model act. `code`: the default models' "code mode", where the
 * only tool is the `exec` JavaScript tool and the real tools hang off `tools.*` inside it;
 * `classic`: function tools at the top level (`-m gpt-5.5`); `none`: no shell tool offered.
 */
export type ToolMode = 'code' | 'classic' | 'none';

export interface ResponsesRequest {
  model: string;
  conversation: Conversation;
  mode: ToolMode;
  /** Names of the tools the model may call directly (classic) or through `tools.<name>` (code). */
  toolNames: string[];
  /** `--output-schema`: the final message must be the JSON text. */
  wantsJson: boolean;
  /** The turn's working directory, from `<environment_context>`. */
  cwd?: string;
  /** Rough size of what was sent, for the usage numbers. */
  inputChars: number;
  mcp: McpView;
}

/**
 * What the request says about MCP tools. Codex defers them (they are not in `tools`): the model
 * finds them with `tool_search` (classic) or calls `tools.mcp__<server>__<tool>` (code mode);
 * once loaded, Codex names their namespaces in a developer message.
 */
export interface McpView {
  /** Namespaces such as `mcp__orchestrate` that Codex says are loaded or deferred. */
  namespaces: string[];
  /** The step of each wait or search the mock made since the prompt (`call_mocksearch_<step>_…`). */
  searched: number[];
  /** The classic `tool_search` tool is offered. */
  canSearch: boolean;
}

export type RequestError = { kind: 'request.invalid'; message: string };

const HEADER = '[orchestrate ';
const CALL_TYPES = new Set(['function_call', 'custom_tool_call', 'local_shell_call', 'tool_search_call']);
const OUTPUT_TYPES = new Set(['function_call_output', 'custom_tool_call_output', 'local_shell_call_output', 'tool_search_output']);
/** The mock's own call ids carry the script step they played: `call_mock_<step>_<random>`. */
const OWN_CALL = /^call_mock_(\d+)_/;
/** A search the mock made before a report step; it plays no step itself. */
const OWN_SEARCH = /^call_mocksearch_(\d+)_/;

function textOf(item: InputItem): string {
  if (typeof item.content === 'string') return item.content;
  return (item.content ?? []).map((p) => p.text ?? '').join('');
}

const isMessage = (item: InputItem, role: string): boolean => (item.type === undefined || item.type === 'message') && item.role === role;

/** User messages that Codex itself adds around the prompt. */
function isContextText(text: string): boolean {
  const t = text.trimStart();
  return t.startsWith('<environment_context>') || t.startsWith('<user_instructions>') || t.startsWith('# AGENTS.md instructions');
}

function promptIndex(items: InputItem[]): number {
  let fallback = -1;
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i];
    if (!item || !isMessage(item, 'user')) continue;
    const text = textOf(item);
    if (text.includes(HEADER)) return i;
    if (fallback < 0 && !isContextText(text) && text.trim() !== '') fallback = i;
  }
  return fallback;
}

/**
 * How far the script got after the prompt. The mock's call ids name the step they played,
 * which also covers steps played without a call (todos, which Codex has no tool for);
 * foreign calls count one per model turn (a run of calls before their outputs).
 */
export function countActionTurns(items: InputItem[], from: number): number {
  let turns = 0;
  let inCallRun = false;
  for (const item of items.slice(from + 1)) {
    const type = item.type ?? '';
    if (CALL_TYPES.has(type) && OWN_SEARCH.test(item.call_id ?? '')) continue;
    if (CALL_TYPES.has(type)) {
      const own = OWN_CALL.exec(item.call_id ?? '');
      if (own?.[1] !== undefined) turns = Math.max(turns, Number(own[1]) + 1);
      else if (!inCallRun) turns += 1;
      inCallRun = true;
    } else if (OUTPUT_TYPES.has(type) || isMessage(item, 'user')) {
      inCallRun = false;
    }
  }
  return turns;
}

function flatten(tools: ToolSpec[]): ToolSpec[] {
  return tools.flatMap((t) => (t.type === 'namespace' ? flatten(t.tools ?? []) : [t]));
}

/** `### \`name\`` sections of the code-mode `exec` description list the nested tools. */
function nestedToolNames(exec: ToolSpec): string[] {
  return [...(exec.description ?? '').matchAll(/^### `([^`]+)`$/gm)].map((m) => m[1] ?? '').filter(Boolean);
}

function toolsOf(body: ResponsesBody, items: InputItem[]): { mode: ToolMode; names: string[] } {
  const top = flatten(body.tools ?? []);
  if (top.some((t) => t.type === 'function' && t.name === 'exec_command')) {
    return { mode: 'classic', names: top.map((t) => t.name ?? '').filter(Boolean) };
  }
  const additional = flatten(items.filter((i) => i.type === 'additional_tools').flatMap((i) => i.tools ?? []));
  const exec = [...top, ...additional].find((t) => t.type === 'custom' && t.name === 'exec');
  if (exec) return { mode: 'code', names: nestedToolNames(exec) };
  return { mode: 'none', names: top.map((t) => t.name ?? '').filter(Boolean) };
}

function cwdOf(items: InputItem[]): string | undefined {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i];
    if (!item || !isMessage(item, 'user')) continue;
    const cwd = /<cwd>([^<]+)<\/cwd>/.exec(textOf(item))?.[1];
    if (cwd) return cwd.trim();
  }
  return undefined;
}

function mcpOf(body: ResponsesBody, items: InputItem[], from: number): McpView {
  const namespaces = new Set<string>();
  for (const t of body.tools ?? []) if (t.type === 'namespace' && t.name?.startsWith('mcp__')) namespaces.add(t.name);
  const searched: number[] = [];
  for (const [i, item] of items.entries()) {
    if (item.type === 'tool_search_output') for (const t of item.tools ?? []) if (t.type === 'namespace' && t.name) namespaces.add(t.name);
    if (isMessage(item, 'developer')) {
      const block = /<tools>\n(?:Added )?[Dd]eferred tool namespaces:\n([\s\S]*?)<\/tools>/.exec(textOf(item))?.[1] ?? '';
      for (const m of block.matchAll(/^- (\S+)$/gm)) if (m[1]) namespaces.add(m[1]);
    }
    const search = i > from && CALL_TYPES.has(item.type ?? '') ? OWN_SEARCH.exec(item.call_id ?? '') : null;
    if (search?.[1] !== undefined) searched.push(Number(search[1]));
  }
  return { namespaces: [...namespaces], searched, canSearch: (body.tools ?? []).some((t) => t.type === 'tool_search') };
}

export function readResponsesRequest(body: unknown): ResponsesRequest | RequestError {
  const parsed = ResponsesBody.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
    return { kind: 'request.invalid', message: `mock provider: cannot read the Responses request: ${issues}` };
  }
  const data = parsed.data;
  const items: InputItem[] = typeof data.input === 'string' ? [{ type: 'message', role: 'user', content: data.input }] : data.input;
  const at = promptIndex(items);
  const prompt = at >= 0 && items[at] ? textOf(items[at]) : '';
  const tools = toolsOf(data, items);
  const cwd = cwdOf(items);
  return {
    model: data.model ?? 'mock-model',
    conversation: { cli: 'codex', prompt, actionTurns: at >= 0 ? countActionTurns(items, stepsStartAt(items.map((i) => (isMessage(i, 'user') ? textOf(i) : undefined)), at)) : 0 },
    mode: tools.mode,
    toolNames: tools.names,
    wantsJson: data.text?.format?.type === 'json_schema',
    ...(cwd ? { cwd } : {}),
    inputChars: JSON.stringify(data.input).length,
    mcp: mcpOf(data, items, at),
  };
}

export const isRequestError = (value: ResponsesRequest | RequestError): value is RequestError => 'kind' in value;
