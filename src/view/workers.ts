import type { LogEntry } from '../persistence/types.js';
import type { Usage } from '../protocol/index.js';
import type { WorkerView } from './types.js';

export const ZERO_USAGE: Usage = { inputTokens: 0, outputTokens: 0, cachedTokens: 0 };

export function addUsage(a: Usage, b: Usage): Usage {
  const cost = a.costUsd !== undefined || b.costUsd !== undefined ? (a.costUsd ?? 0) + (b.costUsd ?? 0) : undefined;
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cachedTokens: a.cachedTokens + b.cachedTokens,
    ...(cost !== undefined ? { costUsd: cost } : {}),
  };
}

const REVIEW_RUN = /^review-\d+\/(.+)$/;

/** The row a log entry's workerId belongs to: reviewer runs of one agent share a row. */
export function rowOf(workerId: string, agent?: string): { id: string; role: WorkerView['role']; agent?: string | undefined; reviewId?: string } {
  if (workerId === 'architect' || workerId === 'implementer') return { id: workerId, role: workerId, agent };
  const m = REVIEW_RUN.exec(workerId);
  if (m?.[1]) return { id: `reviewer:${m[1]}`, role: 'reviewer', agent: m[1], reviewId: workerId.split('/')[0] };
  return { id: workerId, role: 'reviewer', agent };
}

export const newWorker = (id: string, role: WorkerView['role'], agent: string): WorkerView => ({ id, role, agent, phase: 'running', attempt: 1, progress: 0, usage: ZERO_USAGE });

export const firstLine = (text: string, max = 240): string => {
  const nl = text.indexOf('\n');
  const line = nl === -1 ? text : text.slice(0, nl);
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

/** What one agent event changes in its worker's row. */
export function applyAgentEvent(w: WorkerView, e: LogEntry): WorkerView {
  const p = e.payload;
  const kind = typeof p.kind === 'string' ? p.kind : undefined;
  const next: WorkerView = { ...w, agent: e.agent, lastActivityAt: e.timestamp };
  if (e.usage) next.usage = addUsage(w.usage, e.usage);
  if (typeof p.progress === 'number') next.progress = Math.max(0, Math.min(100, p.progress));
  if (kind === 'run.completed' || (kind === 'process.exited' && p.exitCode === 0)) next.progress = 100;
  if (kind === 'process.exited') next.phase = p.stopped === true ? 'stopped' : p.exitCode === 0 ? 'exited' : 'failed';
  else if (kind !== 'tool.result') next.activity = firstLine(p.text, 160);
  if (kind === 'plan.updated' && w.role !== 'implementer') next.task = firstLine(p.text, 120);
  return next;
}
