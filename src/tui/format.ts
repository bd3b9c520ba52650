import type { Usage } from '../protocol/index.js';

/** `[██████░░░░]` for 0–100. */
export function bar(progress: number, width = 10): string {
  const filled = Math.round((Math.max(0, Math.min(100, progress)) / 100) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

/** `4s`, `3m05s`, `2h14m` since `iso`, or `-` when never. */
export function since(iso: string | undefined, now: number): string {
  if (!iso) return '-';
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (!Number.isFinite(s)) return '-';
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const compact = (n: number): string => (n >= 1_000_000 ? `${(n / 1_000_000).toFixed(1)}M` : n >= 10_000 ? `${Math.round(n / 1000)}k` : String(n));

/** `12k↑ 3k↓ $0.42` (cost only where the agent reports it). */
export function tokens(u: Usage): string {
  return `${compact(u.inputTokens)}↑ ${compact(u.outputTokens)}↓${u.costUsd !== undefined ? ` $${u.costUsd.toFixed(2)}` : ''}`;
}

export const pad = (text: string, width: number): string => (text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text.padEnd(width));

export const hhmmss = (iso: string): string => iso.slice(11, 19);
