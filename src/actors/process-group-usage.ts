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

/**
 * CPU time and RSS summed over the process group `pgid`, read from /proc. Processes that
 * end between the directory listing and the read are skipped. Returns undefined where /proc
 * is not available (not Linux): limits are then not enforced, and the caller says so.
 */
export function groupUsage(pgid: number, proc = '/proc'): GroupUsage | undefined {
  let entries: string[];
  try {
    entries = readdirSync(proc);
  } catch {
    return undefined;
  }
  let ticks = 0;
  let pages = 0;
  let processes = 0;
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
    if (Number(f[2]) !== pgid || f[0] === 'Z') continue;
    ticks += Number(f[11]) + Number(f[12]);
    pages += Number(f[21]);
    processes += 1;
  }
  return { cpuSeconds: ticks / CLK_TCK, rssBytes: pages * PAGE_BYTES, processes };
}
