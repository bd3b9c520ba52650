/**
 * Something derived from an object, kept on the object itself under a non-enumerable symbol: it
 * dies with the object, and spread copies, JSON.stringify and structuredClone all leave it out.
 * Not a WeakMap: V8's young-generation GC keeps every WeakMap entry whose key is young alive and
 * promotes it, so a WeakMap cache over short-lived events turned each scavenge into a copy of
 * the last ~1 MB of events (7–10 ms pauses every ~180 ms at 5k events/s; a micro-test of 3M
 * short-lived keys promoted 640 MB instead of 3.5 MB and ran 5× slower).
 */
export function memo<T>(owner: object, key: symbol, make: () => T): T {
  const held = (owner as Record<symbol, T | undefined>)[key];
  if (held !== undefined) return held;
  const made = make();
  // A frozen object simply does not cache.
  if (Object.isExtensible(owner)) Object.defineProperty(owner, key, { value: made });
  return made;
}

/** A JSON string literal. */
export const str = (s: string): string => JSON.stringify(s);

/**
 * `str` that remembers its last answer: for a field that repeats from one event to the next
 * (session, agent, worker, type, a chunk's timestamp) the literal is made once per run of equal
 * values instead of once per event (five per envelope were 3% of the pipeline).
 */
export function lastStr(): (s: string) => string {
  let last: string | undefined;
  let json = '';
  return (s) => {
    if (s !== last) {
      last = s;
      json = JSON.stringify(s);
    }
    return json;
  };
}
