import type { AnyStateMachine, StateNode } from 'xstate';

/** The statechart as plain JSON for drawing: nested states, their kind, and the events each one takes. */
export interface ChartNode {
  id: string;
  key: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  initial?: string | undefined;
  events: string[];
  /** Targets of this state's own transitions, as state ids. */
  targets: string[];
  states: ChartNode[];
}

function toChart(node: StateNode): ChartNode {
  const targets = new Set<string>();
  for (const list of node.transitions.values()) for (const t of list) for (const target of t.target ?? []) targets.add(target.id);
  for (const t of node.always ?? []) for (const target of t.target ?? []) targets.add(target.id);
  const initial = node.type === 'compound' ? node.config.initial : undefined;
  return {
    id: node.id,
    key: node.key,
    type: node.type,
    initial: typeof initial === 'string' ? initial : undefined,
    events: node.ownEvents.map(String).filter((e) => !e.startsWith('xstate.')),
    targets: [...targets],
    states: Object.values(node.states).map((s) => toChart(s)),
  };
}

export const chartOf = (machine: AnyStateMachine): ChartNode => toChart(machine.root as StateNode);

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
