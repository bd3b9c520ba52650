import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TRANSCRIPTS } from './paths.js';

/**
 * Recorded Claude Code runs whose lines make up the flood: partial messages (stream_event
 * deltas), tool calls and results, thinking, hooks, plain answers. Failure recordings are left
 * out on purpose: a permission error mid-run makes the orchestrator stop and relaunch the agent,
 * which is a recovery, not throughput.
 */
const RUNS = ['tool-partial', 'multi', 'tool', 'think', 'hooks', 'text', 'resume-2'];

/** The body of each run (its lines between the `system/init` line and the final `result`). */
export function mixLines(): string[] {
  const lines: string[] = [];
  for (const run of RUNS) {
    const all = readFileSync(join(TRANSCRIPTS, 'claude', `${run}.stdout.jsonl`), 'utf8').split('\n').filter(Boolean);
    lines.push(...all.filter((l) => !l.startsWith('{"type":"system","subtype":"init"') && !l.startsWith('{"type":"result"')));
  }
  return lines;
}

/** Writes the mix to `dir/mix.jsonl` for the fake agent (which cycles it) and describes it. */
export function writeMix(dir: string): { path: string; lines: number; partial: number; bytes: number } {
  const lines = mixLines();
  const path = join(dir, 'mix.jsonl');
  const text = `${lines.join('\n')}\n`;
  writeFileSync(path, text);
  return { path, lines: lines.length, partial: lines.filter((l) => l.startsWith('{"type":"stream_event"')).length, bytes: Buffer.byteLength(text) };
}
