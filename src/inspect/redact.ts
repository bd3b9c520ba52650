/**
 * What an inspection record may show by default. Events carry prompts, agent messages, diffs
 * and file contents (tool inputs) — those are replaced by their size; secrets (tokens, keys,
 * the launch environment) by a marker; so is any other long string. `full` keeps everything
 * but secrets.
 */
export type RedactMode = 'redacted' | 'full';

const CONTENT = /^(prompt|prompts|task|text|content|contents|diff|patch|body|input|output|stdout|stderr|message|messages|summary|question|answer|clarification|old_string|new_string|file_text|instructions|plan|result|thinking|delta|raw|structured)$/i;
// `inputTokens` is a count, `apiToken` a secret: only names ending in the singular are secrets.
const SECRET = /(token|secret|password|passwd|api_?key|authorization|cookie|credentials?)$|^env$/i;
const MAX_STRING = 200;
const MAX_DEPTH = 8;

const marker = (v: unknown): string =>
  typeof v === 'string' ? `[redacted: ${v.length} chars]` : Array.isArray(v) ? `[redacted: ${v.length} items]` : `[redacted ${v === null ? 'null' : typeof v}]`;

export function redact(value: unknown, mode: RedactMode = 'redacted', depth = 0): unknown {
  // A long string is a prompt, a message or a file far more often than a name or a flag.
  if (typeof value === 'string') return mode === 'redacted' && value.length > MAX_STRING ? marker(value) : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) return value.map((v) => redact(v, mode, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'function') continue;
    if (SECRET.test(k)) out[k] = '[secret]';
    else if (mode === 'redacted' && CONTENT.test(k) && v !== undefined && v !== null && typeof v !== 'number' && typeof v !== 'boolean') out[k] = marker(v);
    else out[k] = redact(v, mode, depth + 1);
  }
  return out;
}
