import { describe, expect, it } from 'vitest';
import { memo } from '../../src/protocol/json.js';

describe('memo: a value derived from an object, kept on it', () => {
  it('leaves no trace a copy, JSON or a structured clone would carry', () => {
    const payload: Record<string, unknown> = { text: 'a', progress: 1 };
    memo(payload, Symbol('derived'), () => 'x');
    expect(Object.keys(payload)).toEqual(['text', 'progress']);
    expect(JSON.stringify(payload)).toBe('{"text":"a","progress":1}');
    expect(Object.getOwnPropertySymbols({ ...payload })).toEqual([]);
    expect(Object.getOwnPropertySymbols(structuredClone(payload))).toEqual([]);
  });

  it('makes the value each time for a frozen object (nothing can be kept on it) rather than failing', () => {
    const owner = Object.freeze({});
    const key = Symbol('k');
    let made = 0;
    expect(memo(owner, key, () => ++made)).toBe(1);
    expect(memo(owner, key, () => ++made)).toBe(2);
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
