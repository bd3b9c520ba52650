import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FAKE_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'agents', 'bin');
export const fakeCommand = (cli: 'claude' | 'codex' | 'gemini'): string => join(FAKE_BIN, cli);

export function tempDir(prefix = 'orch-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A file of lines for FAKE_SCENARIO, for streams no CLI recorded (our own JSONL, floods). */
export function linesFile(dir: string, lines: string[]): string {
  const path = join(dir, 'lines.jsonl');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

export interface FakeLaunch {
  cli: string;
  argv: string[];
  cwd: string;
  pid: number;
  stdin: string;
  env: Record<string, string>;
}

export function readLaunches(argvFile: string): FakeLaunch[] {
  return readFileSync(argvFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as FakeLaunch);
}

/** Alive and not a zombie (a container's PID 1 may never reap what we killed). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * Whether a process group still has a member that is not a zombie: a killed agent's processes
 * stay in the table until they are reaped (by init once the orchestrator is gone), which can
 * take a moment after the kill.
 */
export function isGroupAlive(pgid: number): boolean {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // After the command's closing parenthesis: state, ppid, pgrp, …
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
    } catch {
      // gone between the listing and the read
    }
  }
  return false;
}
