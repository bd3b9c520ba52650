import type { AnyStateMachine, StateNode } from 'xstate';
import { recoveryMachine } from '../machines/recovery.js';
import { reviewMachine } from '../machines/review.js';
import { sessionMachine } from '../machines/session.js';
import { workerMachine } from '../machines/worker.js';

/** One transition of a state as drawn: the event, where it goes, and the guard that must hold. */
export interface ChartTransition {
  event: string;
  /** State ids; empty for a transition that only runs actions. */
  targets: string[];
  guard?: string | undefined;
}

/** A statechart as plain JSON for drawing: nested states, their kind, and their transitions. */
export interface ChartNode {
  id: string;
  key: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  initial?: string | undefined;
  /** Events this state itself takes (not its children's). */
  events: string[];
  /** Targets of this state's own transitions, as state ids. */
  targets: string[];
  transitions: ChartTransition[];
  /** The actors this state invokes while it is active (by their `src` name). */
  invokes: string[];
  states: ChartNode[];
}

/** The machines an orchestrate session is made of, by the `src` name their parents use. */
export const MACHINES = { session: sessionMachine, worker: workerMachine, review: reviewMachine, recovery: recoveryMachine } as const;
export type MachineName = keyof typeof MACHINES;
export const isMachineName = (src: unknown): src is MachineName => typeof src === 'string' && Object.hasOwn(MACHINES, src);

type Guard = { type?: unknown } | string | (((...args: never[]) => unknown) & { guards?: Guard[]; stateValue?: unknown }) | undefined;

/**
 * Named guards by name; xstate's combinators (and/or/not/stateIn) by what they combine, since
 * they are functions whose names say only "and"; any other inline function as `guard`.
 */
export function guardLabel(guard: Guard): string | undefined {
  if (guard === undefined) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const parts = (guard.guards ?? []).map((g) => guardLabel(g) ?? 'guard');
    if (guard.name === 'and' || guard.name === 'or') return parts.join(guard.name === 'and' ? ' && ' : ' || ');
    if (guard.name === 'not') return `!${parts[0] ?? 'guard'}`;
    if (guard.name === 'stateIn') return `in ${typeof guard.stateValue === 'string' ? guard.stateValue : JSON.stringify(guard.stateValue)}`;
    return guard.name && guard.name !== 'guard' ? guard.name : 'guard';
  }
  if (typeof guard.type !== 'string') return 'guard';
  // Parameters that are plain values tell `decisionIs(CONTINUE)` from `decisionIs(LOG_WARNING)`.
  const params = (guard as { params?: unknown }).params;
  if (!params || typeof params !== 'object') return guard.type;
  const shown = Object.values(params).map((v) => (Array.isArray(v) ? v.join('|') : typeof v === 'string' || typeof v === 'number' ? String(v) : '…'));
  return `${guard.type}(${shown.join(', ')})`;
}

/** `xstate.done.actor.architect` reads better as `done: architect` in a drawing. */
export function eventLabel(event: string): string {
  const m = /^xstate\.(done|error)\.actor\.(.+)$/.exec(event);
  // Invocations without an id get a generated one (`0.review.requesting`): only the outcome says something.
  if (m) return /^\d+\./.test(m[2] ?? '') ? (m[1] ?? '') : `${m[1] ?? ''}: ${m[2] ?? ''}`;
  const after = /^xstate\.after\.([^.]+)\./.exec(event);
  if (after) return `after ${after[1] ?? ''}`;
  return event === '' ? 'always' : event;
}

function toChart(node: StateNode): ChartNode {
  const transitions: ChartTransition[] = [];
  for (const list of node.transitions.values()) {
    for (const t of list) transitions.push({ event: t.eventType, targets: (t.target ?? []).map((s) => s.id), guard: guardLabel(t.guard) });
  }
  for (const t of node.always ?? []) transitions.push({ event: '', targets: (t.target ?? []).map((s) => s.id), guard: guardLabel(t.guard) });
  const initial = node.type === 'compound' ? node.config.initial : undefined;
  return {
    id: node.id,
    key: node.key,
    type: node.type,
    initial: typeof initial === 'string' ? initial : undefined,
    events: node.ownEvents.map(String).filter((e) => !e.startsWith('xstate.')),
    targets: [...new Set(transitions.flatMap((t) => t.targets))],
    transitions,
    invokes: node.invoke.map((i) => (typeof i.src === 'string' ? i.src : i.id)),
    states: Object.values(node.states).map((s) => toChart(s)),
  };
}

export const chartOf = (machine: AnyStateMachine): ChartNode => toChart(machine.root as StateNode);

/** The four charts, built once: machine definitions do not change while the process runs. */
export const CHARTS: Record<MachineName, ChartNode> = {
  session: chartOf(sessionMachine),
  worker: chartOf(workerMachine),
  review: chartOf(reviewMachine),
  recovery: chartOf(recoveryMachine),
};

/** The ids of every active state (`session.implementing`, `session.implementing.working`) for a state value. */
export function activeIds(rootId: string, value: unknown): string[] {
  const out: string[] = [];
  const walk = (prefix: string, v: unknown): void => {
    if (typeof v === 'string') {
      out.push(`${prefix}.${v}`);
      return;
    }
    if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        out.push(`${prefix}.${k}`);
        walk(`${prefix}.${k}`, child);
      }
    }
  };
  walk(rootId, value);
  return [rootId, ...out];
}

export interface ChartEdge {
  from: string;
  to: string;
  label: string;
}

/**
 * The drawable transitions of a chart: one per source, target and label (two guards with the
 * same label collapse), in definition order. Transitions that only run actions are left out;
 * the root's own transitions come `from` the root id (they apply in any state).
 */
export function edgesOf(chart: ChartNode): ChartEdge[] {
  const seen = new Set<string>();
  const out: ChartEdge[] = [];
  const walk = (n: ChartNode): void => {
    for (const t of n.transitions) {
      const label = t.guard ? `${eventLabel(t.event)} [${t.guard}]` : eventLabel(t.event);
      for (const to of t.targets) {
        const key = `${n.id}\u0000${to}\u0000${label}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ from: n.id, to, label });
      }
    }
    n.states.forEach(walk);
  };
  walk(chart);
  return out;
}
