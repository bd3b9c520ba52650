import { describe, expect, it } from 'vitest';
import { jsonOf, memo } from '../../src/protocol/json.js';

/** An object whose serialization is counted. */
function counted(fields: Record<string, unknown>): { value: Record<string, unknown>; calls: () => number } {
  let n = 0;
  const value = { ...fields, toJSON: () => (n++, fields) };
  return { value, calls: () => n };
}

describe('jsonOf: a payload serialized once', () => {
  it('returns JSON.stringify of the value and serializes it once however often it is asked', () => {
    const { value, calls } = counted({ kind: 'agent.message', text: 'héllo "x"' });
    expect(jsonOf(value)).toBe(JSON.stringify({ kind: 'agent.message', text: 'héllo "x"' }));
    expect(jsonOf(value)).toBe(jsonOf(value));
    expect(calls()).toBe(1);
  });

  it('leaves no trace a copy, JSON or a structured clone would carry: a changed copy is serialized as it is', () => {
    const payload: Record<string, unknown> = { text: 'a', progress: 1 };
    jsonOf(payload);
    expect(Object.keys(payload)).toEqual(['text', 'progress']);
    expect(JSON.stringify(payload)).toBe('{"text":"a","progress":1}');
    expect(Object.getOwnPropertySymbols({ ...payload })).toEqual([]);
    expect(Object.getOwnPropertySymbols(structuredClone(payload))).toEqual([]);
    expect(jsonOf({ ...payload, progress: 2 })).toBe('{"text":"a","progress":2}');
  });

  it('a frozen object is serialized each time (nothing can be kept on it) rather than failing', () => {
    const { value, calls } = counted({ text: 'frozen' });
    Object.freeze(value);
    expect(jsonOf(value)).toBe('{"text":"frozen"}');
    expect(jsonOf(value)).toBe('{"text":"frozen"}');
    expect(calls()).toBe(2);
  });

  it('memo keeps one derived value per key', () => {
    const owner = {};
    const a = Symbol('a');
    const b = Symbol('b');
    let made = 0;
    expect(memo(owner, a, () => ++made)).toBe(1);
    expect(memo(owner, a, () => ++made)).toBe(1);
    expect(memo(owner, b, () => ++made)).toBe(2);
  });
});
