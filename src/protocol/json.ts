/**
 * The JSON text of an event payload, made once. A payload goes to the workspace copy, to the
 * store's row and to every live client's envelope; stringifying it at each of those was a
 * third of the pipeline's serialization work. Payloads are never changed after they are made
 * (events are records of what happened), which is what makes the cached text stay true.
 */
const texts = new WeakMap<object, string>();

export function jsonOf(value: object): string {
  let text = texts.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    texts.set(value, text);
  }
  return text;
}

/** A JSON string literal. */
export const str = (s: string): string => JSON.stringify(s);
