import type { AgentEventDraft } from '../../protocol/index.js';

/** Immutable stream state of one `codex exec --json` run. */
export interface CodexState {
  readonly threadId?: string;
  /** The latest non-empty agent_message: the run's final answer once the turn completes. */
  readonly lastMessage?: string;
  /** Items whose tool.call (or reporting event) was already emitted, so completion does not repeat it. */
  readonly announced: readonly string[];
  /** The last todo list sent, so item.updated/completed repeats of the same list stay quiet. */
  readonly todosKey?: string;
  /** A turn.failed or fatal error line already explained why the run failed. */
  readonly failed: boolean;
  readonly completed: boolean;
}

export interface Step {
  events: AgentEventDraft[];
  state: CodexState;
}

export function initialState(): CodexState {
  return { announced: [], failed: false, completed: false };
}

export function announce(state: CodexState, id: string | undefined): CodexState {
  return id === undefined || state.announced.includes(id) ? state : { ...state, announced: [...state.announced, id] };
}

export function forget(state: CodexState, id: string | undefined): CodexState {
  return id === undefined ? state : { ...state, announced: state.announced.filter((a) => a !== id) };
}

export function wasAnnounced(state: CodexState, id: string | undefined): boolean {
  return id !== undefined && state.announced.includes(id);
}
