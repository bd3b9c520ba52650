import type { AgentEventDraft, AgentEventType } from '../../protocol/index.js';
import { draft, isRecord, truncate } from './events.js';

/**
 * The orchestrator's MCP reporting tools, as every CLI shows them in its stream:
 * Claude `mcp__orchestrate__report_milestone`, Gemini 0.61 `mcp_orchestrate_report_milestone`
 * (older releases `report_milestone` or `orchestrate__report_milestone`), Codex an
 * `mcp_tool_call` item with `tool`.
 */
const TOOL_EVENTS: Record<string, AgentEventType> = {
  report_progress: 'progress',
  report_milestone: 'milestone',
  report_blocker: 'blocker',
  report_finding: 'finding',
  request_review: 'review',
};

export const ORCHESTRATOR_MCP_SERVER = 'orchestrate';

export function orchestratorToolName(tool: string): string | undefined {
  // Only our own server's tools count: another MCP server may reuse the names.
  const prefixes = ['', `mcp__${ORCHESTRATOR_MCP_SERVER}__`, `mcp_${ORCHESTRATOR_MCP_SERVER}_`, `${ORCHESTRATOR_MCP_SERVER}__`];
  for (const prefix of prefixes) {
    if (!tool.startsWith(prefix)) continue;
    const bare = tool.slice(prefix.length);
    if (Object.hasOwn(TOOL_EVENTS, bare)) return bare;
  }
  return undefined;
}

/** A call to one of the reporting tools becomes the matching event, 1:1. */
export function orchestratorToolEvent(tool: string, input: unknown, timestamp?: string): AgentEventDraft | undefined {
  const name = orchestratorToolName(tool);
  if (!name) return undefined;
  const type = TOOL_EVENTS[name];
  if (!type) return undefined;
  const args = isRecord(input) ? input : {};
  const text =
    typeof args.text === 'string'
      ? args.text
      : typeof args.summary === 'string'
        ? args.summary
        : typeof args.reason === 'string'
          ? args.reason
          : name;
  const progress = typeof args.progress === 'number' && args.progress >= 0 && args.progress <= 100 ? args.progress : undefined;
  const file = typeof args.file === 'string' ? args.file : undefined;
  return draft(
    type,
    {
      kind: `report.${name.replace(/^report_/, '')}`,
      text: truncate(text),
      tool: name,
      ...(progress === undefined ? {} : { progress }),
      ...(file === undefined ? {} : { file }),
      ...(name === 'request_review' ? { reviewRequested: true } : {}),
    },
    timestamp ? { timestamp } : {},
  );
}
