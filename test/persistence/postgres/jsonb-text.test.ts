import { describe, expect, it } from 'vitest';
import { decodeJson, decodeText, encodeJson, encodeText } from '../../../src/persistence/postgres/jsonb-text.js';

const odd = ['', 'plain', 'é😀', 'a\u0000b', '\u0000\u0000', '\uFDD0', '\uFDD0\uFDD0u0000', '\uFDD00', 'x\uFDD0u0041', '\\u0000', '\ud800', 'a\udc00', '\udc00\ud800', '\ud83d\ude00'];

describe('the JSONB escape of strings PostgreSQL refuses', () => {
  it('round-trips every string and leaves none PostgreSQL would refuse', () => {
    for (const s of odd) {
      const e = encodeText(s);
      expect(decodeText(e)).toBe(s);
      // eslint-disable-next-line no-control-regex -- NUL is what must not be left
      expect(e).not.toMatch(/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    }
  });

  it('leaves ordinary text (and the very object) alone', () => {
    const value = { text: 'hello 😀', n: 1, list: ['a', null, true], deep: { k: 'v' } };
    expect(encodeText('hello 😀 \uFDD1')).toBe('hello 😀 \uFDD1');
    expect(encodeJson(value)).toBe(value);
    expect(decodeJson(value)).toBe(value);
  });

  it('escapes keys and nested values, and writes what JSON.stringify would for a Date', () => {
    const value = { 'k\u0000': ['\u0000', { when: new Date(0) }], __proto__x: 1 };
    const stored = JSON.parse(JSON.stringify(encodeJson(value))) as unknown;
    expect(JSON.stringify(stored)).not.toContain('\\u0000');
    expect(decodeJson(stored)).toEqual({ 'k\u0000': ['\u0000', { when: '1970-01-01T00:00:00.000Z' }], __proto__x: 1 });
  });
});
