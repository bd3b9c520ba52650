/**
 * PostgreSQL's JSONB cannot hold U+0000 (`unsupported Unicode escape sequence`) nor a lone
 * UTF-16 surrogate, both of which an agent may print (a NUL in a tool's output, a string cut in
 * the middle of an emoji) and SQLite keeps as they are. Rather than fail the append (which stops
 * the session), strings going into a JSONB column are escaped reversibly and unescaped on the
 * way out, so both stores return exactly what was written.
 *
 * The escape character is U+FDD0, a Unicode noncharacter (never meant to appear in interchanged
 * text, unlike the private-use range, which icon fonts use). Every U+FDD0 in the data is itself
 * escaped, so decoding is exact for any string. A string without any of the three is stored
 * unchanged, so SQL on JSONB fields (`payload->>'agentSessionId'`) sees ordinary text as it is.
 */
const MARK = '\uFDD0';
// eslint-disable-next-line no-control-regex -- NUL is exactly what has to be escaped
const UNSAFE = /[\u0000\uFDD0]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const ESCAPED = /\uFDD0(0|1|u[0-9a-f]{4})/g;

export function encodeText(s: string): string {
  UNSAFE.lastIndex = 0;
  if (!UNSAFE.test(s)) return s;
  return s.replace(UNSAFE, (c) => (c === '\u0000' ? `${MARK}0` : c === MARK ? `${MARK}1` : `${MARK}u${c.charCodeAt(0).toString(16)}`));
}

export function decodeText(s: string): string {
  if (!s.includes(MARK)) return s;
  return s.replace(ESCAPED, (_m, code: string) => (code === '0' ? '\u0000' : code === '1' ? MARK : String.fromCharCode(parseInt(code.slice(1), 16))));
}

/** Walks a JSON value, applying `f` to every string and key; returns the same object where nothing changed. */
function mapStrings(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === 'string') return f(value);
  if (value === null || typeof value !== 'object') return value;
  // What JSON.stringify would write for it (a Date is its ISO string).
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return mapStrings(toJSON.call(value), f);
  if (Array.isArray(value)) {
    const items = value.map((v: unknown) => mapStrings(v, f));
    return items.some((v, i) => v !== value[i]) ? items : value;
  }
  let changed = false;
  const out: [string, unknown][] = [];
  for (const [k, v] of Object.entries(value)) {
    const key = f(k);
    const mapped = mapStrings(v, f);
    changed ||= key !== k || mapped !== v;
    out.push([key, mapped]);
  }
  // defineProperty, not assignment: a key "__proto__" stays a key.
  return changed ? out.reduce<Record<string, unknown>>((o, [k, v]) => Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true }), {}) : value;
}

/** A value as it goes into a JSONB column (before JSON.stringify). */
export const encodeJson = (value: unknown): unknown => mapStrings(value, encodeText);

/** A JSONB column's value as written. */
export const decodeJson = (value: unknown): unknown => mapStrings(value, decodeText);

/** The text of a JSONB parameter. */
export const jsonb = (value: unknown): string => JSON.stringify(encodeJson(value));
