import type { LogLine } from './types.js';

/** A log filter: by agent, by type (or `payload.kind`), and free words in the text. */
export interface LogFilter {
  agent?: string | undefined;
  type?: string | undefined;
  words: string[];
}

export const NO_FILTER: LogFilter = { words: [] };

/** `agent:claude type:error npm test` → agent, type, words; `a:` and `t:` are short forms. */
export function parseFilter(query: string): LogFilter {
  const f: LogFilter = { words: [] };
  for (const token of query.trim().toLowerCase().split(/\s+/).filter(Boolean)) {
    const [key, value] = token.includes(':') ? [token.slice(0, token.indexOf(':')), token.slice(token.indexOf(':') + 1)] : ['', token];
    if ((key === 'agent' || key === 'a') && value) f.agent = value;
    else if ((key === 'type' || key === 't') && value) f.type = value;
    else f.words.push(token);
  }
  return f;
}

export const isEmptyFilter = (f: LogFilter): boolean => !f.agent && !f.type && f.words.length === 0;

export function describeFilter(f: LogFilter): string {
  return [f.agent ? `agent:${f.agent}` : '', f.type ? `type:${f.type}` : '', ...f.words].filter(Boolean).join(' ');
}

export function matchesFilter(line: LogLine, f: LogFilter): boolean {
  if (f.agent && !line.agent.toLowerCase().startsWith(f.agent) && !line.workerId.toLowerCase().startsWith(f.agent)) return false;
  if (f.type && !line.type.toLowerCase().startsWith(f.type) && !(line.kind ?? '').toLowerCase().startsWith(f.type)) return false;
  const text = line.text.toLowerCase();
  return f.words.every((w) => text.includes(w));
}
