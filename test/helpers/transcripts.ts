import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AgentEventDraft } from '../../src/protocol/index.js';
import type { AgentAdapter, ExitInfo } from '../../src/agents/types.js';

/** Unedited copies of ../shared/agent-transcripts (stdout, stderr, meta); see transcripts.test.ts. */
export const TRANSCRIPTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'transcripts');
export const SHARED_TRANSCRIPTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'agent-transcripts');

export type Cli = 'claude' | 'codex' | 'gemini';

export interface TranscriptMeta {
  scenario: string;
  argv: string[];
  cwd: string;
  exitCode: number | null;
  signal: string | null;
}

export interface Transcript {
  cli: Cli;
  scenario: string;
  /** The exact stdout bytes as text. */
  stdout: string;
  /** Which stdout file it was: .jsonl (a stream), .json (one document) or .txt. */
  stdoutKind: 'jsonl' | 'json' | 'txt';
  stderr: string;
  meta: TranscriptMeta;
}

export function listScenarios(cli: Cli): string[] {
  return readdirSync(join(TRANSCRIPTS_DIR, cli))
    .filter((f) => f.endsWith('.meta.json'))
    .map((f) => f.slice(0, -'.meta.json'.length))
    .sort();
}

export function loadTranscript(cli: Cli, scenario: string): Transcript {
  const dir = join(TRANSCRIPTS_DIR, cli);
  const kinds = ['jsonl', 'json', 'txt'] as const;
  const stdoutKind = kinds.find((k) => existsSync(join(dir, `${scenario}.stdout.${k}`)));
  if (!stdoutKind) throw new Error(`no stdout file for ${cli}/${scenario}`);
  const meta = JSON.parse(readFileSync(join(dir, `${scenario}.meta.json`), 'utf8')) as TranscriptMeta;
  return {
    cli,
    scenario,
    stdout: readFileSync(join(dir, `${scenario}.stdout.${stdoutKind}`), 'utf8'),
    stdoutKind,
    stderr: readFileSync(join(dir, `${scenario}.stderr.txt`), 'utf8'),
    meta,
  };
}

/**
 * The units a line reader hands the translator: one per line for streams and text,
 * and the whole document for single-object JSON output (pretty-printed across lines).
 */
export function stdoutUnits(t: Transcript): string[] {
  if (t.stdoutKind === 'json') return t.stdout.trim() ? [t.stdout] : [];
  return t.stdout.split('\n').filter((l) => l.length > 0);
}

export function exitOf(t: Transcript): ExitInfo {
  return { exitCode: t.meta.exitCode, signal: t.meta.signal };
}

/** Run an adapter's translator over a whole transcript, like the agent process actor does. */
export function translateTranscript<S>(adapter: AgentAdapter<S>, t: Transcript): AgentEventDraft[] {
  let state = adapter.initialState();
  const events: AgentEventDraft[] = [];
  for (const unit of stdoutUnits(t)) {
    const result = adapter.translate(unit, state);
    events.push(...result.events);
    state = result.state;
  }
  events.push(...adapter.finish(state, exitOf(t)));
  return events;
}

export const byKind = (events: AgentEventDraft[], kind: string): AgentEventDraft[] =>
  events.filter((e) => e.payload.kind === kind);
