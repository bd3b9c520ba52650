import { randomBytes } from 'node:crypto';
import type { Step } from './engine.js';
import type { ScriptAction } from './script.js';
import type { ResponsesRequest } from './responses-request.js';

/** Output items of the Responses API, as Codex reads them back from `response.output_item.done`. */
export type OutputItem =
  | { type: 'message'; id: string; role: 'assistant'; status: 'completed'; content: { type: 'output_text'; text: string; annotations: [] }[] }
  | { type: 'function_call'; id: string; call_id: string; name: string; arguments: string; status: 'completed'; namespace?: string }
  | { type: 'custom_tool_call'; id: string; call_id: string; name: string; input: string; status: 'completed'; namespace?: string }
  | { type: 'tool_search_call'; id: string; call_id: string; execution: 'client'; arguments: { query: string; limit: number }; status: 'completed' };

export const DEFAULT_NOEXEC = './noexec.sh';
export const DEFAULT_OUTSIDE = '/var/tmp/orchestrate-outside/outside.txt';

const hex = (bytes = 8): string => randomBytes(bytes).toString('hex');
/** The step index in the call id is how the next request tells how far the script got. */
const callId = (step: number): string => `call_mock_${step}_${hex(6)}`;

export function message(text: string): OutputItem {
  return { type: 'message', id: `msg_${hex()}`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text, annotations: [] }] };
}

/** Codex's namespace for the orchestrator's MCP server (`mcp_servers.orchestrate`). */
export const ORCHESTRATE_NAMESPACE = 'mcp__orchestrate';

/** A reporting tool offered by its flat name (`mcp__<server>__<tool>`), should a Codex offer it so. */
export function findTool(request: ResponsesRequest, bare: string): string | undefined {
  const names = request.toolNames;
  return names.find((n) => n === `${ORCHESTRATE_NAMESPACE}__${bare}`) ?? names.find((n) => n.endsWith(`__${bare}`));
}

/** `*** Add File` replaces the whole file, which is what a scripted write means. */
export function addFilePatch(path: string, content: string): string {
  const body = content.endsWith('\n') ? content.slice(0, -1) : content;
  const lines = body === '' ? [] : body.split('\n');
  return ['*** Begin Patch', `*** Add File: ${path}`, ...lines.map((l) => `+${l}`), '*** End Patch', ''].join('\n');
}

export function heredoc(path: string, content: string): string {
  let tag = 'MOCK_EOF';
  while (content.includes(tag)) tag += '_';
  const quoted = `'${path.replace(/'/g, `'\\''`)}'`;
  return `mkdir -p "$(dirname ${quoted})" && cat > ${quoted} <<'${tag}'\n${content.endsWith('\n') ? content : `${content}\n`}${tag}`;
}

/** Code mode: the model writes JavaScript for `exec`, which calls the real tool and returns its result. */
const js = (tool: string, input: unknown): string => `const r = await tools.${tool}(${JSON.stringify(input)});\ntext(r);\n`;

type Call = { tool: string; input: unknown; freeform: boolean; namespace?: string };

function callItem(request: ResponsesRequest, step: number, call: Call): OutputItem {
  const id = callId(step);
  if (request.mode === 'code') {
    return { type: 'custom_tool_call', id: `ctc_${hex()}`, call_id: id, name: 'exec', namespace: 'functions', input: js(call.tool, call.input), status: 'completed' };
  }
  if (call.freeform) {
    return { type: 'custom_tool_call', id: `ctc_${hex()}`, call_id: id, name: call.tool, input: String(call.input), status: 'completed' };
  }
  return {
    type: 'function_call',
    id: `fc_${hex()}`,
    call_id: id,
    name: call.tool,
    ...(call.namespace ? { namespace: call.namespace } : {}),
    arguments: JSON.stringify(call.input),
    status: 'completed',
  };
}

const notOffered = (tool: string): OutputItem =>
  message(`mock provider: the tool ${tool} is not offered to the model (is the orchestrate MCP server configured?).`);

type Report = Extract<ScriptAction, { report: unknown }>['report'];

/** How often the mock looks for the MCP tools (about every MCP_WAIT_MS) before it gives up. */
export const MAX_MCP_WAITS = 10;
export const MCP_WAIT_MS = 500;

export const isWait = (item: OutputItem): boolean => item.type !== 'message' && item.call_id.startsWith('call_mocksearch_');

/** A preparatory call that plays no step: its id says which step it prepares. */
function waitItem(request: ResponsesRequest, step: number, report: Report): OutputItem {
  const call_id = `call_mocksearch_${step}_${hex(6)}`;
  if (request.mode === 'code') {
    const input = 'text("mock provider: waiting for the MCP tools");\n';
    return { type: 'custom_tool_call', id: `ctc_${hex()}`, call_id, name: 'exec', namespace: 'functions', input, status: 'completed' };
  }
  return { type: 'tool_search_call', id: `ts_${hex()}`, call_id, execution: 'client', arguments: { query: `orchestrate ${report.tool}`, limit: 8 }, status: 'completed' };
}

/**
 * Codex defers MCP tools and starts MCP servers in the background; a developer message names
 * their namespaces once they are up (`mcp__orchestrate`). Until then the mock waits: code mode
 * with an empty `exec`, classic mode with `tool_search`, which also loads the namespace (the
 * dialect paces repeated waits, see MCP_WAIT_MS). Then
 * code mode calls `tools.mcp__orchestrate__<tool>` inside `exec`, and classic mode calls
 * `<tool>` in namespace `mcp__orchestrate`.
 */
function reportItem(request: ResponsesRequest, report: Report, step: number): OutputItem {
  const { namespaces, searched, canSearch } = request.mcp;
  if (report.name) return callItem(request, step, { tool: report.name, input: report.arguments, freeform: false });
  const flat = findTool(request, report.tool);
  if (flat) return callItem(request, step, { tool: flat, input: report.arguments, freeform: false });
  const known = namespaces.includes(ORCHESTRATE_NAMESPACE);
  const waits = searched.filter((s) => s === step).length;
  if (known) {
    if (request.mode === 'code') return callItem(request, step, { tool: `${ORCHESTRATE_NAMESPACE}__${report.tool}`, input: report.arguments, freeform: false });
    return callItem(request, step, { tool: report.tool, namespace: ORCHESTRATE_NAMESPACE, input: report.arguments, freeform: false });
  }
  if (namespaces.length > 0 && waits > 0) return notOffered(report.tool);
  if ((request.mode === 'code' || canSearch) && waits < MAX_MCP_WAITS) return waitItem(request, step, report);
  return notOffered(report.tool);
}

const shell = (cmd: string): Call => ({ tool: 'exec_command', input: { cmd }, freeform: false });

function write(request: ResponsesRequest, path: string, content: string): Call {
  // Code mode always has apply_patch; classic mode without it falls back to the shell.
  if (request.mode === 'code' || request.toolNames.includes('apply_patch')) {
    return { tool: 'apply_patch', input: addFilePatch(path, content), freeform: true };
  }
  return shell(heredoc(path, content));
}

/** The call that plays one scripted action, or the text to answer instead when it cannot be played. */
export function actionItem(request: ResponsesRequest, action: ScriptAction, step: number): OutputItem {
  if (request.mode === 'none') return message(`mock provider: this request offers no shell tool, so action ${step + 1} cannot be played.`);
  if ('shell' in action) return callItem(request, step, shell(action.shell));
  if ('write' in action) return callItem(request, step, write(request, action.write.path, action.write.content));
  if ('report' in action) return reportItem(request, action.report, step);
  if ('todos' in action) {
    const plan = action.todos.map((t) => ({ step: t.text, status: t.status }));
    return callItem(request, step, { tool: 'update_plan', input: { plan }, freeform: false });
  }
  const fail = action.fail;
  if (fail.kind === 'permission_denied') return callItem(request, step, shell(fail.command ?? fail.path ?? DEFAULT_NOEXEC));
  return callItem(request, step, write(request, fail.path ?? DEFAULT_OUTSIDE, fail.content ?? 'written outside the workspace\n'));
}

/** The answer items for a step other than an error. */
export function stepItems(request: ResponsesRequest, step: Exclude<Step, { kind: 'error' }>): OutputItem[] {
  if (step.kind === 'action') return [actionItem(request, step.action, step.index)];
  const items: OutputItem[] = [];
  if (step.text !== undefined && (step.structured === undefined || step.text !== '')) items.push(message(step.text));
  if (step.structured !== undefined) items.push(message(JSON.stringify(step.structured)));
  if (items.length === 0) items.push(message(''));
  return items;
}

export const canPlayTodos = (request: ResponsesRequest): boolean => request.toolNames.includes('update_plan');
