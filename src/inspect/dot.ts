import { edgesOf, type ChartNode } from './charts.js';

const q = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
/** Each compound state gets a point node for its initial arrow; edges to or from it end at the cluster. */
const entry = (id: string): string => `${id}.__entry`;

/** The statechart as a Graphviz digraph: compound states as clusters, active states filled. */
export function toDot(chart: ChartNode, active: readonly string[] = [], title?: string): string {
  const on = new Set(active);
  const compound = new Set<string>();
  const lines = [`digraph ${q(chart.id)} {`, '  compound=true;', '  rankdir=LR;', `  label=${q(title ?? chart.id)};`, '  labelloc=t;', '  node [shape=box, style=rounded, fontname="Helvetica"];', '  edge [fontname="Helvetica", fontsize=10];'];
  const declare = (n: ChartNode, indent: string): void => {
    compound.add(n.id);
    lines.push(`${indent}${q(entry(n.id))} [shape=point, width=0.08];`);
    if (n.initial) lines.push(`${indent}${q(entry(n.id))} -> ${q(`${n.id}.${n.initial}`)};`);
    for (const s of n.states) {
      if (s.states.length > 0) {
        lines.push(`${indent}subgraph ${q(`cluster_${s.id}`)} {`, `${indent}  label=${q(s.key)};`, `${indent}  style=rounded;`);
        if (on.has(s.id)) lines.push(`${indent}  color="#b45309";`, `${indent}  penwidth=2;`);
        declare(s, `${indent}  `);
        lines.push(`${indent}}`);
      } else {
        const attrs = [`label=${q(s.key)}`];
        if (s.type === 'final') attrs.push('peripheries=2');
        if (on.has(s.id)) attrs.push('style="rounded,filled"', 'fillcolor="#fde68a"', 'color="#b45309"', 'penwidth=2');
        lines.push(`${indent}${q(s.id)} [${attrs.join(', ')}];`);
      }
    }
  };
  declare(chart, '  ');
  const end = (id: string, side: 'ltail' | 'lhead'): { node: string; attr?: string } =>
    compound.has(id) && id !== chart.id ? { node: entry(id), attr: `${side}=${q(`cluster_${id}`)}` } : { node: compound.has(id) ? entry(id) : id };
  for (const e of edgesOf(chart)) {
    const from = e.from === chart.id ? { node: `${chart.id}.__any` } : end(e.from, 'ltail');
    const to = end(e.to, 'lhead');
    if (e.from === chart.id && !lines.includes(`  ${q(from.node)} [label="(any state)", shape=plaintext];`)) lines.push(`  ${q(from.node)} [label="(any state)", shape=plaintext];`);
    const attrs = [`label=${q(e.label)}`, ...[from.attr, to.attr].filter((a): a is string => a !== undefined)];
    lines.push(`  ${q(from.node)} -> ${q(to.node)} [${attrs.join(', ')}];`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
