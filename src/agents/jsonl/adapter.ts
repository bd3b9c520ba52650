import { AgentEventDraft } from '../../protocol/index.js';
import { draft, parseJsonLine, unparseable } from '../common/events.js';
import { classifyPermissionDenied } from '../common/recovery.js';
import type { AgentAdapter, ExitInfo, LaunchRequest, LaunchSpec } from '../types.js';

/**
 * For custom agents that print our own event JSON, one per line: either a full
 * `AgentEventDraft` or the seed's `{type, agent, timestamp, payload}` (agent is ignored:
 * the worker knows who it launched). The prompt goes on stdin and in ORCHESTRATE_PROMPT.
 */
function buildCommand(request: LaunchRequest): LaunchSpec {
  return {
    command: request.command ?? 'orchestrate-agent',
    args: [...(request.extraArgs ?? [])],
    env: {
      ORCHESTRATE_ROLE: request.role,
      ORCHESTRATE_MODE: request.mode,
      ORCHESTRATE_PROMPT: request.prompt.length <= 64 * 1024 ? request.prompt : '',
      ORCHESTRATE_WORKSPACE: request.workspace,
      ...(request.outputSchema ? { ORCHESTRATE_OUTPUT_SCHEMA: JSON.stringify(request.outputSchema) } : {}),
      ...(request.resumeSessionId ? { ORCHESTRATE_RESUME: request.resumeSessionId } : {}),
      ...request.env,
    },
    cwd: request.cwd,
    input: request.prompt,
    files: [],
  };
}


function translate(line: string, state: null): { events: AgentEventDraft[]; state: null } {
  const parsed = parseJsonLine(line);
  if (!parsed.ok) return { events: [unparseable(line, 'not JSON')], state };
  const value = parsed.value;
  const withoutAgent =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'agent'))
      : value;
  const result = AgentEventDraft.safeParse(withoutAgent);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid event';
    return { events: [unparseable(line, `not an orchestrate event, ${where}`)], state };
  }
  return { events: [result.data], state };
}

function finish(_state: null, exit: ExitInfo): AgentEventDraft[] {
  if (exit.exitCode === 0) return [];
  return [
    draft('error', {
      kind: 'run.failed',
      text: exit.signal ? `agent ended by ${exit.signal}` : `agent exited with code ${String(exit.exitCode)}`,
      exitCode: exit.exitCode,
    }),
  ];
}


export const jsonlAdapter: AgentAdapter<null> = {
  name: 'jsonl',
  binary: 'orchestrate-agent',
  buildCommand,
  initialState: () => null,
  translate,
  finish,
  classify: (evidence) => classifyPermissionDenied(evidence),
};
