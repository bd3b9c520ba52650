import { z } from 'zod';
import type { TodoItem } from '../../protocol/index.js';

/** What a tool call left behind for its result line (which only names the tool_use_id). */
export interface PendingTool {
  name: string;
  /** Calls already shown as another event (todos, reports, the structured answer): a success adds nothing. */
  quiet: boolean;
  /** For TaskCreate: the subject, until the result tells its id. */
  taskSubject?: string;
}

export interface ClaudeTask {
  id: string;
  text: string;
  status: TodoItem['status'];
}

export interface ClaudeState {
  readonly sessionId?: string;
  readonly model?: string;
  readonly tools: Readonly<Record<string, PendingTool>>;
  /** Claude's TaskCreate/TaskUpdate list, kept to emit it whole like a TodoWrite. */
  readonly tasks: readonly ClaudeTask[];
  /** The synthetic assistant message of a failed API call, until its `result` line arrives. */
  readonly apiFailure?: { text: string; code: string };
  readonly sawResult: boolean;
  /** An error event already says why the run failed, so finish() need not. */
  readonly failureExplained: boolean;
}

export function initialState(): ClaudeState {
  return { tools: {}, tasks: [], sawResult: false, failureExplained: false };
}

const IsoTimestamp = z.iso.datetime({ offset: true });

/** The line's own time when it is a valid ISO time (only `user` lines carry one). */
export function timestampOf(value: unknown): { timestamp?: string } {
  return IsoTimestamp.safeParse(value).success ? { timestamp: value as string } : {};
}
