import { edgesOf, type ChartNode } from './charts.js';

/** Mermaid ids cannot hold dots: a state is named by its path below the root, joined by `_`. */
const mid = (rootId: string, id: string): string => id.slice(rootId.length + 1).replace(/[^A-Za-z0-9_]/g, '_');
/** Text after `:` ends at a newline; `;` and `#` start statements and entities there. */
const text = (s: string): string => s.replace(/[\n;#]/g, ' ');

/**
 * The statechart as a Mermaid `stateDiagram-v2`, active states in the `active` class. The
 * root's own transitions (taken in any state) start from an `(any state)` pseudo-state.
 */
export function toMermaid(chart: ChartNode, active: readonly string[] = [], title?: string): string {
  const root = chart.id;
  const lines = ['stateDiagram-v2'];
  if (title) lines.push(`  %% ${text(title)}`);
  lines.push('  classDef active fill:#fde68a,stroke:#b45309,stroke-width:2px');
  const declare = (n: ChartNode, indent: string): void => {
    if (n.initial) lines.push(`${indent}[*] --> ${mid(root, `${n.id}.${n.initial}`)}`);
    for (const s of n.states) {
      const id = mid(root, s.id);
      if (s.states.length > 0) {
        lines.push(`${indent}state ${id} {`);
        declare(s, `${indent}  `);
        lines.push(`${indent}}`);
      } else {
        lines.push(`${indent}state "${text(s.key)}" as ${id}`);
      }
      if (s.type === 'final') lines.push(`${indent}${id} --> [*]`);
    }
  };
  const edges = edgesOf(chart);
  if (edges.some((e) => e.from === root)) lines.push(`  state "(any state)" as ${mid(root, `${root}.any`)}_`);
  declare(chart, '  ');
  for (const e of edges) lines.push(`  ${e.from === root ? `${mid(root, `${root}.any`)}_` : mid(root, e.from)} --> ${mid(root, e.to)} : ${text(e.label)}`);
  const on = active.filter((id) => id !== root);
  if (on.length > 0) lines.push(`  class ${on.map((id) => mid(root, id)).join(',')} active`);
  return `${lines.join('\n')}\n`;
}
