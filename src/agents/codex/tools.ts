import type { AgentEventDraft } from '../../protocol/index.js';
import { describeToolCall, draft, isRecord, parseJsonLine, truncate } from '../common/events.js';
import { orchestratorToolEvent } from '../common/orchestrator-tools.js';
import type { CodexItem } from './schema.js';

/** Tool output kept in result events: enough to read the gist, not the whole log. */
const RESULT_LIMIT = 300;
const FAILURE_LIMIT = 2000;

/** Codex items that stand for a tool the agent ran, with a start and an end. */
export const TOOL_ITEM_TYPES: ReadonlySet<string> = new Set([
  'command_execution',
  'file_change',
  'mcp_tool_call',
  'web_search',
  'collab_tool_call',
]);

interface ToolView {
  tool: string;
  input: Record<string, unknown>;
  command?: string;
  file?: string;
}

function argumentsOf(item: CodexItem): Record<string, unknown> {
  if (isRecord(item.arguments)) return item.arguments;
  if (typeof item.arguments === 'string') {
    const parsed = parseJsonLine(item.arguments);
    if (parsed.ok && isRecord(parsed.value)) return parsed.value;
  }
  return {};
}

function changeSummary(item: CodexItem): string {
  return (item.changes ?? []).map((c) => `${c.kind ?? 'change'} ${c.path}`).join(', ');
}

function viewOf(item: CodexItem): ToolView {
  switch (item.type) {
    case 'command_execution':
      return { tool: 'shell', input: { command: item.command ?? '' }, ...(item.command ? { command: item.command } : {}) };
    case 'file_change': {
      const file = item.changes?.[0]?.path;
      return { tool: 'apply_patch', input: { path: changeSummary(item) }, ...(file ? { file } : {}) };
    }
    case 'mcp_tool_call': {
      const input = argumentsOf(item);
      const file = [input.file_path, input.path].find((v): v is string => typeof v === 'string');
      return { tool: `${item.server ?? 'mcp'}.${item.tool ?? 'unknown'}`, input, ...(file ? { file } : {}) };
    }
    case 'web_search':
      return { tool: 'web_search', input: { query: item.query ?? '' } };
    default:
      return { tool: `collab.${item.tool ?? 'unknown'}`, input: { description: item.prompt ?? '' } };
  }
}

/** The orchestrator's own MCP server reports through tool calls; those become their events. */
function reportingEvent(item: CodexItem): AgentEventDraft | undefined {
  if (item.type !== 'mcp_tool_call' || !item.server || !item.tool) return undefined;
  return orchestratorToolEvent(`${item.server}__${item.tool}`, argumentsOf(item));
}

export function isReportingCall(item: CodexItem): boolean {
  return reportingEvent(item) !== undefined;
}

export function toolCallEvent(item: CodexItem): AgentEventDraft {
  const reported = reportingEvent(item);
  if (reported) return reported;
  const view = viewOf(item);
  return draft('progress', {
    kind: 'tool.call',
    text: describeToolCall(view.tool, view.input),
    tool: view.tool,
    ...(view.command ? { command: view.command } : {}),
    ...(view.file ? { file: view.file } : {}),
  });
}

function mcpResultText(item: CodexItem): string {
  const content = isRecord(item.result) && Array.isArray(item.result.content) ? item.result.content : [];
  return content
    .map((block) => (isRecord(block) && typeof block.text === 'string' ? block.text : ''))
    .filter(Boolean)
    .join('\n');
}

function outputOf(item: CodexItem): string {
  if (item.type === 'command_execution') return (item.aggregated_output ?? '').trim();
  if (item.type === 'file_change') return changeSummary(item);
  if (item.type === 'mcp_tool_call') return item.error?.message ?? mcpResultText(item);
  if (item.type === 'web_search') return item.query ?? '';
  return item.error?.message ?? '';
}

/** The end of a tool item: a short result, or the failure with its real text and exit code. */
export function toolResultEvent(item: CodexItem): AgentEventDraft {
  const view = viewOf(item);
  const output = outputOf(item);
  const exitCode = item.type === 'command_execution' && item.exit_code !== undefined ? { exitCode: item.exit_code } : {};
  const common = {
    tool: view.tool,
    ...(view.command ? { command: view.command } : {}),
    ...(view.file ? { file: view.file } : {}),
    ...exitCode,
  };
  const failed = item.status === 'failed' || item.status === 'declined' || Boolean(item.error?.message);
  if (failed) {
    const how =
      item.status === 'declined'
        ? 'was declined by the sandbox policy'
        : item.exit_code != null
          ? `failed with exit code ${item.exit_code}`
          : 'failed';
    const text = `${view.tool} ${how}${output ? `: ${truncate(output, FAILURE_LIMIT)}` : ''}`;
    return draft('error', { kind: 'tool.failed', text, ...common });
  }
  const done = item.exit_code != null ? `${view.tool} exited ${item.exit_code}` : `${view.tool} done`;
  return draft('progress', {
    kind: 'tool.result',
    text: output ? `${done}: ${truncate(output, RESULT_LIMIT)}` : done,
    ...common,
  });
}
