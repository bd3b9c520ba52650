import type { SessionRecord } from '../persistence/types.js';
import { EXIT, openStore, workspaceOf, type RunIo } from './run.js';

function age(iso: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

const tokens = (r: SessionRecord): number => Object.values(r.tokens).reduce((n, u) => n + u.inputTokens + u.outputTokens, 0);

/** `orchestrate sessions`: every session in the store, newest first. */
export function runSessions(options: { workspace?: string; json?: boolean; store?: string }, io: RunIo): number {
  const store = openStore(workspaceOf(options, io.env), io, { mustExist: true, store: options.store });
  if (!store) return EXIT.failed;
  try {
    const sessions = store.list();
    if (options.json) {
      io.stdout.write(`${JSON.stringify(sessions.map((r) => ({ id: r.id, status: r.status, tier: r.tier, agents: r.roles, task: r.task, target: r.target, createdAt: r.createdAt, updatedAt: r.updatedAt, tokens: r.tokens })))}\n`);
      return EXIT.completed;
    }
    const now = Date.now();
    const rows = sessions.map((r) => [r.id, r.status, String(r.tier), `${r.roles.architect}/${r.roles.implementer}/${r.roles.reviewer}`, age(r.createdAt, now), String(tokens(r)), r.task.slice(0, 50)]);
    const head = ['session', 'status', 'tier', 'agents (a/i/r)', 'age', 'tokens', 'task'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    for (const row of [head, ...rows]) io.stdout.write(`${row.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()}\n`);
    if (rows.length === 0) io.stdout.write('(no sessions yet)\n');
    return EXIT.completed;
  } finally {
    store.close();
  }
}
