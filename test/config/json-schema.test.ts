import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, renderConfigJsonSchema } from '../../src/config/schema.js';

const committed = new URL('../../schema/orchestrate.config.schema.json', import.meta.url);

describe('schema/orchestrate.config.schema.json', () => {
  it('equals what the zod schema generates now (run `npm run gen:schema` if this fails)', () => {
    expect(readFileSync(committed, 'utf8')).toBe(renderConfigJsonSchema());
  });

  it('describes the file a user writes: strict objects, optional defaulted fields', () => {
    const schema = configJsonSchema() as {
      additionalProperties: boolean;
      required?: string[];
      properties: Record<string, unknown>;
    };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required ?? []).toEqual([]);
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['roles', 'agents', 'review', 'budgets', 'limits', 'safety', 'recovery']),
    );
  });
});
