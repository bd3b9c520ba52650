import { actorTree, machineActors, type ActorNode, type ActorTreeError } from './actors.js';
import { CHARTS, activeIds, type ChartNode, type MachineName } from './charts.js';
import { toDot } from './dot.js';
import { toMermaid } from './mermaid.js';

export type InspectFormat = 'mermaid' | 'dot' | 'json';

/** One actor that runs a statechart, with the states it is in. */
export interface MachineState {
  path: string;
  machine: MachineName;
  status: string;
  value: unknown;
  active: string[];
}

export interface InspectReport {
  sessionId: string;
  machineVersion: string;
  /** False when the snapshot was written by other statecharts than this orchestrate's: the drawing may not match it. */
  current: boolean;
  savedAt: string;
  actors: ActorNode;
  machines: MachineState[];
  charts: Record<MachineName, ChartNode>;
}

export function inspectReport(s: { sessionId: string; snapshot: unknown; machineVersion: string; savedAt: string }, currentVersion: string): InspectReport | ActorTreeError {
  const actors = actorTree(s.snapshot);
  if ('kind' in actors) return actors;
  const machines = machineActors(actors).map((a) => ({ path: a.path, machine: a.machine, status: a.status, value: a.value, active: activeIds(CHARTS[a.machine].id, a.value) }));
  return { sessionId: s.sessionId, machineVersion: s.machineVersion, current: s.machineVersion === currentVersion, savedAt: s.savedAt, actors, machines, charts: CHARTS };
}

const describe = (m: MachineState): string => `${m.path} (${m.machine}) · ${m.status} · ${m.active.slice(1).map((id) => id.slice(CHARTS[m.machine].id.length + 1)).at(-1) ?? 'no state'}`;

/** One chart, raw: what `--actor` prints. */
export function renderOne(m: MachineState, format: Exclude<InspectFormat, 'json'>): string {
  return format === 'mermaid' ? toMermaid(CHARTS[m.machine], m.active, describe(m)) : toDot(CHARTS[m.machine], m.active, describe(m));
}

/**
 * Every chart of the session. Mermaid as Markdown (a heading and a fenced block per actor, as
 * GitHub and most editors draw it); DOT as one graph per actor (`dot` reads them all).
 */
export function renderReport(r: InspectReport, format: InspectFormat): string {
  if (format === 'json') return `${JSON.stringify(r, null, 2)}\n`;
  if (format === 'dot') return r.machines.map((m) => renderOne(m, 'dot')).join('\n');
  const parts = [`# Session ${r.sessionId}\n\nSnapshot saved ${r.savedAt}${r.current ? '' : ` by other statecharts (version ${r.machineVersion}): states may not match the drawing`}.\n`];
  for (const m of r.machines) parts.push(`## ${describe(m)}\n\n\`\`\`mermaid\n${renderOne(m, 'mermaid')}\`\`\`\n`);
  return parts.join('\n');
}
