import { TaskBreakdown, type PlannedTask } from '../protocol/index.js';

export type PlanResult = { ok: true; plan: TaskBreakdown } | { ok: false; problems: string[] };

/** Find the one JSON object in an answer: the whole text, a fenced block, or the outermost braces. */
function jsonCandidates(text: string): string[] {
  const out = [text.trim()];
  const fenced = /```(?:json)?\s*\n([\s\S]*?)\n```/.exec(text);
  if (fenced?.[1]) out.push(fenced[1]);
  const first = text.indexOf('{');
  const last = text.lastIndexOf('}');
  if (first !== -1 && last > first) out.push(text.slice(first, last + 1));
  return out;
}

/** An agent's answer (structured where the CLI supports it, else text) as a validated value. */
export function parseAnswer<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } } }, structured: unknown, text: string | undefined): { ok: true; value: T } | { ok: false; problems: string[] } {
  const candidates: unknown[] = [];
  if (structured !== undefined && structured !== null) candidates.push(structured);
  for (const c of jsonCandidates(text ?? '')) {
    try {
      candidates.push(JSON.parse(c));
    } catch {
      // Not JSON; the next candidate may be.
    }
  }
  if (candidates.length === 0) return { ok: false, problems: ['the answer contained no JSON object'] };
  let problems: string[] = [];
  for (const c of candidates) {
    const r = schema.safeParse(c);
    if (r.success) return { ok: true, value: r.data };
    if (problems.length === 0) problems = r.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  }
  return { ok: false, problems };
}

export function parsePlan(structured: unknown, text: string | undefined): PlanResult {
  const r = parseAnswer(TaskBreakdown, structured, text);
  return r.ok ? { ok: true, plan: r.value } : r;
}

/** Implementer tasks in dependency order (stable: plan order among ready tasks). The plan is acyclic (validated). */
export function taskOrder(plan: TaskBreakdown): PlannedTask[] {
  const done = new Set<string>();
  const ordered: PlannedTask[] = [];
  while (ordered.length < plan.tasks.length) {
    const next = plan.tasks.find((t) => !done.has(t.id) && t.dependencies.every((d) => done.has(d)));
    if (!next) break;
    done.add(next.id);
    ordered.push(next);
  }
  return ordered;
}
