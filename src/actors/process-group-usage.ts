import { readdirSync, readFileSync } from 'node:fs';

/** Linux's USER_HZ and page size: constant on every Linux the orchestrator supports. */
const CLK_TCK = 100;
const PAGE_BYTES = 4096;

export interface GroupUsage {
  /** utime + stime of every live process in the group, in seconds. */
  cpuSeconds: number;
  /** Resident memory of the whole group, in bytes. */
  rssBytes: number;
  processes: number;
}

/** Fields after the `(comm)` of /proc/<pid>/stat, which may itself contain spaces and parentheses. */
export function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).trim().split(' ');
}

/** One pass over /proc: usage per process group. Undefined where /proc is not available (not Linux). */
function scanGroups(proc: string): Map<number, GroupUsage> | undefined {
  let entries: string[];
  try {
    entries = readdirSync(proc);
  } catch {
    return undefined;
  }
  const groups = new Map<number, GroupUsage>();
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`${proc}/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    const f = statFields(stat);
    // f[0] is field 3 (state); pgrp is field 5, utime 14, stime 15, rss 24.
    if (f[0] === 'Z') continue;
    const pgid = Number(f[2]);
    const g = groups.get(pgid) ?? { cpuSeconds: 0, rssBytes: 0, processes: 0 };
    g.cpuSeconds += (Number(f[11]) + Number(f[12])) / CLK_TCK;
    g.rssBytes += Number(f[21]) * PAGE_BYTES;
    g.processes += 1;
    groups.set(pgid, g);
  }
  return groups;
}

/**
 * How old a scan may be when another monitor asks. Every worker's monitor samples once a
 * second and each scan reads every /proc/<pid>/stat: with 50 workers, one scan per monitor took
 * 40% of the orchestrator's CPU (the workers benchmark); shared scans cost the same for 1 or 50.
 */
const SCAN_MAX_AGE_MS = 250;
let lastScan: { proc: string; at: number; groups: Map<number, GroupUsage> | undefined } | undefined;

/**
 * CPU time and RSS summed over the process group `pgid`, read from /proc (a scan at most
 * `SCAN_MAX_AGE_MS` old, shared by all callers). Processes that end between the directory
 * listing and the read are skipped. Returns undefined where /proc is not available (not Linux):
 * limits are then not enforced, and the caller says so.
 */
export function groupUsage(pgid: number, proc = '/proc'): GroupUsage | undefined {
  const now = Date.now();
  if (!lastScan || lastScan.proc !== proc || now - lastScan.at > SCAN_MAX_AGE_MS) lastScan = { proc, at: now, groups: scanGroups(proc) };
  if (!lastScan.groups) return undefined;
  return lastScan.groups.get(pgid) ?? { cpuSeconds: 0, rssBytes: 0, processes: 0 };
}
