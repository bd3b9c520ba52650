import { draft, truncate } from '../common/events.js';
import type { TranslateResult } from '../types.js';
import type { SystemLine } from './schema.js';
import type { ClaudeState } from './state.js';

/** `system` lines: the session start, the CLI's own API retries, hooks and housekeeping. */
export function system(line: SystemLine, state: ClaudeState): TranslateResult<ClaudeState> {
  switch (line.subtype) {
    case 'init': {
      const sessionId = line.session_id ?? state.sessionId;
      const version = line.claude_code_version ? ` ${line.claude_code_version}` : '';
      const model = line.model ? ` with ${line.model}` : '';
      const event = draft('status', {
        kind: 'run.started',
        text: `Claude Code${version} started${model}${line.permissionMode ? ` (${line.permissionMode})` : ''}`,
        ...(sessionId === undefined ? {} : { agentSessionId: sessionId }),
        ...(line.model === undefined ? {} : { model: line.model }),
      });
      return { events: [event], state: { ...state, sessionId, model: line.model ?? state.model } };
    }
    case 'api_retry': {
      const status = line.error_status ?? undefined;
      const what = [status, line.error].filter((x) => x !== undefined && x !== null).join(' ');
      const delay = line.retry_delay_ms === undefined ? '' : ` in ${(line.retry_delay_ms / 1000).toFixed(1)} s`;
      const of = line.max_retries === undefined ? '' : ` of ${line.max_retries}`;
      const event = draft('status', {
        kind: 'api.retry',
        text: `model API error${what ? ` (${what})` : ''}; Claude Code retries (attempt ${line.attempt ?? '?'}${of})${delay}`,
        severity: 'warning',
        ...(status === undefined ? {} : { apiStatus: status }),
      });
      return { events: [event], state };
    }
    case 'hook_response': {
      const ok = line.outcome === undefined ? line.exit_code === 0 : line.outcome === 'success';
      const output = (ok ? line.output : line.stderr || line.output)?.trim();
      // Exit 2 from a PreToolUse hook is a refusal (our guard): a policy finding, not a hook fault.
      if (line.hook_event === 'PreToolUse' && line.exit_code === 2) {
        const refused = draft('finding', {
          kind: 'policy.refused',
          text: `tool call refused by ${line.hook_name ?? 'PreToolUse'}: ${truncate(output ?? '(no reason given)', 500)}`,
          exitCode: 2,
          severity: 'warning',
        });
        return { events: [refused], state };
      }
      const event = draft('status', {
        kind: ok ? 'hook.completed' : 'hook.failed',
        text: `hook ${line.hook_name ?? line.hook_event ?? '?'} ${ok ? 'ran' : 'failed'}${output ? `: ${truncate(output, 300)}` : ''}`,
        ...(line.exit_code === undefined ? {} : { exitCode: line.exit_code }),
        ...(ok ? {} : { severity: 'warning' as const }),
      });
      return { events: [event], state };
    }
    case 'compact_boundary':
      return { events: [draft('status', { kind: 'context.compacted', text: 'Claude Code compacted its context' })], state };
    default:
      // thinking_tokens (estimates; the thinking itself arrives as an assistant line),
      // status ("requesting"), hook_started (its hook_response follows) and newer
      // housekeeping subtypes say nothing a supervisor acts on.
      return { events: [], state };
  }
}
