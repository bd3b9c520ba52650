import { z } from 'zod';

/** The seed's eight event types; everything an agent says is one of these. */
export const AGENT_EVENT_TYPES = [
  'status',
  'progress',
  'finding',
  'task',
  'blocker',
  'milestone',
  'review',
  'error',
] as const;
export const AgentEventType = z.enum(AGENT_EVENT_TYPES);
export type AgentEventType = z.infer<typeof AgentEventType>;

export const ROLES = ['architect', 'implementer', 'reviewer'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

/** Agent names are configuration (e.g. "claude", "my-aider"), so only their shape is checked. */
export const AgentName = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,39}$/, 'agent names are lowercase letters, digits, "-" or "_", starting with a letter');
export type AgentName = z.infer<typeof AgentName>;

export const Usage = z.strictObject({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  cachedTokens: z.number().int().nonnegative(),
  /** Only Claude Code reports cost; absent means "not reported", never "free". */
  costUsd: z.number().nonnegative().optional(),
});
export type Usage = z.infer<typeof Usage>;

export const TodoItem = z.strictObject({
  text: z.string(),
  status: z.enum(['pending', 'in_progress', 'completed', 'cancelled']),
});
export type TodoItem = z.infer<typeof TodoItem>;

/**
 * `kind` is the machine-readable sub-kind (dot-namespaced, e.g. `tool.call`,
 * `run.completed`, `stream.unparseable`); `text` is always there for humans.
 * Unknown keys are kept so a translator can carry CLI-specific detail.
 */
export const EventPayload = z.looseObject({
  text: z.string(),
  kind: z.string().optional(),
  progress: z.number().min(0).max(100).optional(),
  file: z.string().optional(),
  tool: z.string().optional(),
  command: z.string().optional(),
  exitCode: z.number().int().nullable().optional(),
  /** The CLI's own conversation id (Claude session_id, Codex thread_id, Gemini session_id). */
  agentSessionId: z.string().optional(),
  model: z.string().optional(),
  /** HTTP status of a failed model API call, where the CLI reports it. */
  apiStatus: z.number().int().optional(),
  todos: z.array(TodoItem).optional(),
  /** The native line that could not be understood, kept verbatim (possibly truncated). */
  raw: z.string().optional(),
  severity: z.enum(['info', 'warning', 'error']).optional(),
  /** A structured answer (`--json-schema`, `--output-schema`) as the CLI returned it. */
  structured: z.unknown().optional(),
  /** The agent asked for a peer review in this event. */
  reviewRequested: z.boolean().optional(),
});
export type EventPayload = z.infer<typeof EventPayload>;

/** What a translator produces: an event before a worker stamps identity on it. */
export const AgentEventDraft = z.strictObject({
  type: AgentEventType,
  /** When the agent said it, if the native line carries a time; else the stamp time is used. */
  timestamp: z.iso.datetime({ offset: true }).optional(),
  payload: EventPayload,
  usage: Usage.optional(),
});
export type AgentEventDraft = z.infer<typeof AgentEventDraft>;

/** An event with identity, before the event log gives it its per-session `seq`. */
export const AgentEventInput = z.strictObject({
  type: AgentEventType,
  agent: AgentName,
  timestamp: z.iso.datetime({ offset: true }),
  payload: EventPayload,
  usage: Usage.optional(),
  sessionId: z.string().min(1),
  workerId: z.string().min(1),
  /** Which launch of the worker produced it (1 = first launch, +1 per relaunch). */
  attempt: z.number().int().positive(),
});
export type AgentEventInput = z.infer<typeof AgentEventInput>;

/** The logged event: `seq` is per session, 1..N without gaps. */
export const AgentEvent = AgentEventInput.extend({
  seq: z.number().int().positive(),
});
export type AgentEvent = z.infer<typeof AgentEvent>;
