import type { SessionStatus } from '../../protocol/index.js';
import type { LogEntry, SessionRecord } from '../types.js';
import { decodeJson, encodeJson } from './jsonb-text.js';
import type { Row } from './sync-pg.js';

/** JSONB columns arrive parsed (and escaped, see jsonb-text.ts); BIGINT ones as strings (pg keeps 64-bit integers exact). */
const text = (v: unknown): string => (typeof v === 'string' ? v : String(v));

export const toSession = (r: Row): SessionRecord => ({
  id: text(r.id),
  task: text(r.task),
  target: text(r.target),
  workspace: text(r.workspace),
  sessionDir: text(r.session_dir),
  status: text(r.status) as SessionStatus,
  tier: Number(r.tier),
  roles: decodeJson(r.roles) as Record<string, string>,
  config: decodeJson(r.config),
  tokens: decodeJson(r.tokens) as SessionRecord['tokens'],
  createdAt: text(r.created_at),
  updatedAt: text(r.updated_at),
});

export const toEntry = (r: Row): LogEntry => ({
  sessionId: text(r.session_id),
  seq: Number(r.seq),
  timestamp: text(r.ts),
  type: text(r.type),
  agent: text(r.agent),
  workerId: text(r.worker_id),
  attempt: Number(r.attempt),
  payload: decodeJson(r.payload) as LogEntry['payload'],
  ...(r.usage ? { usage: decodeJson(r.usage) as NonNullable<LogEntry['usage']> } : {}),
  ...(typeof r.idem_key === 'string' ? { key: r.idem_key } : {}),
});

/** One entry as a row of `jsonb_to_recordset` (the whole batch is inserted in one statement). */
export const entryRow = (e: LogEntry): Record<string, unknown> => ({
  session_id: e.sessionId,
  seq: e.seq,
  ts: e.timestamp,
  type: e.type,
  agent: e.agent,
  worker_id: e.workerId,
  attempt: e.attempt,
  payload: encodeJson(e.payload),
  usage: e.usage ? encodeJson(e.usage) : null,
  idem_key: e.key ?? null,
});

export const EVENT_COLUMNS =
  'session_id text, seq integer, ts text, type text, agent text, worker_id text, attempt integer, payload jsonb, usage jsonb, idem_key text';
