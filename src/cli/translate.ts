import { createReadStream, readFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import { getAdapter, type AdapterName } from '../agents/registry.js';
import type { AgentEventDraft } from '../protocol/index.js';

export interface TranslateOptions {
  agent: AdapterName;
  file?: string | undefined;
  exitCode?: number | undefined;
  stderr?: string | undefined;
}

/**
 * `orchestrate translate`: what the orchestrator would make of a recorded stream.
 * Prints each event as JSON, then the recovery classification (if any) as a last line.
 */
export async function runTranslate(options: TranslateOptions, stdin: Readable, out: Writable): Promise<number> {
  const adapter = getAdapter(options.agent);
  const input = options.file ? createReadStream(options.file) : stdin;
  const events: AgentEventDraft[] = [];
  let state = adapter.initialState();
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.length === 0) continue;
    const result = adapter.translate(line, state);
    state = result.state;
    for (const e of result.events) {
      events.push(e);
      out.write(`${JSON.stringify(e)}\n`);
    }
  }
  const exit = { exitCode: options.exitCode ?? 0, signal: null };
  for (const e of adapter.finish(state, exit)) {
    events.push(e);
    out.write(`${JSON.stringify(e)}\n`);
  }
  const stderr = options.stderr ? readFileSync(options.stderr, 'utf8') : '';
  const request = { role: 'implementer' as const, mode: 'work' as const, prompt: '', cwd: process.cwd(), workspace: process.cwd(), extraDirs: [] };
  const classification = adapter.classify({ request, events: events.filter((e) => e.type === 'error' || e.type === 'blocker'), stderr, exit });
  if (classification) {
    const { kind, evidence, remedy } = classification;
    const summary = remedy.action === 'relaunch' ? { action: 'relaunch', change: remedy.change } : remedy;
    out.write(`${JSON.stringify({ classification: { kind, evidence, ...summary } })}\n`);
  }
  return 0;
}
