import type { ProbeResult } from './probe.js';
import type { TierResult } from './tiers.js';

/** What `orchestrate doctor --json` prints. */
export interface DoctorReport {
  agents: ProbeResult[];
  tier: TierResult;
  /** Every problem of every agent, in agent order (the same lines the text form lists). */
  problems: string[];
}

const HEADERS = ['agent', 'adapter', 'binary', 'version', 'credentials', 'status'] as const;

function row(probe: ProbeResult): string[] {
  const credentials = probe.credentials.present ? (probe.credentials.source ?? 'yes') : 'missing';
  const status = probe.available ? 'ok' : `unavailable: ${probe.reason ?? 'unknown'}`;
  return [probe.agent, probe.adapter, probe.binary ?? '-', probe.version ?? '-', credentials, status];
}

/** Columns padded to their widest cell; plain text so it survives pipes, logs and CI. */
function table(rows: readonly (readonly string[])[]): string {
  const widths = HEADERS.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c] ?? 0))).join('  ')).join('\n');
}

export function doctorReport(probes: readonly ProbeResult[], tier: TierResult): DoctorReport {
  return { agents: [...probes], tier, problems: probes.flatMap((p) => p.problems) };
}

/** The `doctor` text: the table, the tier line, then one advice line per problem. */
export function renderDoctor(probes: readonly ProbeResult[], tier: TierResult): string {
  const lines = [table([[...HEADERS], ...probes.map(row)]), '', tier.ok ? tier.reason : `no usable tier: ${tier.reason}`];
  if (tier.ok && tier.tier > 1) {
    const { architect, implementer, reviewer } = tier.assignments;
    lines.push(`roles: architect=${architect} implementer=${implementer} reviewer=${reviewer}`);
  }
  const problems = doctorReport(probes, tier).problems;
  if (problems.length > 0) lines.push('', ...problems.map((p) => `- ${p}`));
  return `${lines.join('\n')}\n`;
}

/** The `doctor --json` text. */
export const renderDoctorJson = (probes: readonly ProbeResult[], tier: TierResult): string =>
  `${JSON.stringify(doctorReport(probes, tier), null, 2)}\n`;
