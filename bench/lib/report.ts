import { cpus, loadavg, totalmem } from 'node:os';
import { passes, type Figures } from './scenario.js';

export interface ScenarioOutcome {
  name: string;
  ok: boolean;
  seconds: number;
  figures: Figures;
  notes: string[];
  error?: string;
}

export interface Machine {
  nproc: number;
  cpu: string;
  memoryGb: number;
  node: string;
  platform: string;
  /** 1, 5 and 15 minute load averages when the report was made: the machine is shared. */
  loadavg: number[];
  date: string;
}

export const machine = (): Machine => ({
  nproc: cpus().length,
  cpu: cpus()[0]?.model ?? 'unknown',
  memoryGb: Math.round(totalmem() / 1024 ** 3),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  loadavg: loadavg().map((l) => Math.round(l * 100) / 100),
  date: new Date().toISOString(),
});

/** One object with every figure: by scenario, flat by name, and whether each target was met. */
export function toJson(outcomes: ScenarioOutcome[], quick: boolean): Record<string, unknown> {
  const flat: Record<string, number> = {};
  const targets: Record<string, { target: string; pass: boolean }> = {};
  for (const o of outcomes) {
    for (const [name, f] of Object.entries(o.figures)) {
      flat[name] = f.value;
      const pass = passes(f);
      if (f.target && pass !== undefined) targets[name] = { target: `${f.target.kind === 'min' ? '>=' : '<='} ${f.target.value}`, pass };
    }
  }
  return {
    machine: machine(),
    quick,
    figures: flat,
    targets,
    allTargetsMet: Object.values(targets).every((t) => t.pass),
    scenarios: Object.fromEntries(outcomes.map((o) => [o.name, { ok: o.ok, seconds: o.seconds, figures: o.figures, notes: o.notes, ...(o.error ? { error: o.error } : {}) }])),
  };
}

const show = (n: number): string => (Number.isInteger(n) ? n.toLocaleString('en-US') : String(n));

/** The table printed without --json. */
export function toTable(outcomes: ScenarioOutcome[], quick: boolean): string {
  const m = machine();
  const rows: string[][] = [['scenario', 'figure', 'value', 'unit', 'target', '']];
  for (const o of outcomes) {
    if (!o.ok) rows.push([o.name, 'CRASHED', '', '', '', (o.error ?? '').split('\n')[0] ?? '']);
    for (const [name, f] of Object.entries(o.figures)) {
      const pass = passes(f);
      rows.push([o.name, name, show(f.value), f.unit, f.target ? `${f.target.kind === 'min' ? '≥' : '≤'} ${show(f.target.value)}` : '', pass === undefined ? '' : pass ? 'ok' : 'MISSED']);
    }
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const lines = rows.map((r) => r.map((c, i) => (i === 2 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
  const notes = outcomes.flatMap((o) => o.notes.map((n) => `- ${n}`));
  return [`orchestrate bench${quick ? ' --quick (completion only: figures are not meaningful)' : ''} · ${m.nproc} cores (${m.cpu}) · node ${m.node} · load ${m.loadavg.join(' ')} · ${m.date}`, '', ...lines, '', ...notes].join('\n');
}
