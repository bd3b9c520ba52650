import { z } from 'zod';
import type { GenerateContentRequest } from './gemini-request.js';

/**
 * Answers to the CLI's own helper calls, which are not the scripted conversation: the router
 * classifier (`{complexity_reasoning, complexity_score}`, score ≥ 1 or the router falls back with a
 * stack trace on stderr), the next-speaker check, and whatever else asks for JSON by schema.
 */

const Schema: z.ZodType<SchemaNode> = z.lazy(() =>
  z.looseObject({
    type: z.union([z.string(), z.array(z.string())]).optional(),
    properties: z.record(z.string(), Schema).optional(),
    items: Schema.optional(),
    enum: z.array(z.unknown()).optional(),
    minimum: z.number().optional(),
  }),
);
interface SchemaNode {
  type?: string | string[] | undefined;
  properties?: Record<string, SchemaNode> | undefined;
  items?: SchemaNode | undefined;
  enum?: unknown[] | undefined;
  minimum?: number | undefined;
}

/** Field values a helper call needs to be useful, not just valid. */
const KNOWN: Record<string, unknown> = {
  complexity_score: 10,
  complexity_reasoning: 'mock provider: a simple, well-defined task.',
  next_speaker: 'user',
  reasoning: 'mock provider: the model has finished its turn.',
};

function typeOf(node: SchemaNode): string {
  const t = Array.isArray(node.type) ? node.type.find((x) => x.toLowerCase() !== 'null') : node.type;
  if (t) return t.toLowerCase();
  return node.properties ? 'object' : 'string';
}

export function sampleOf(node: SchemaNode, name = ''): unknown {
  if (Object.hasOwn(KNOWN, name)) return KNOWN[name];
  if (node.enum && node.enum.length > 0) return node.enum[0];
  switch (typeOf(node)) {
    case 'object':
      return Object.fromEntries(Object.entries(node.properties ?? {}).map(([k, v]) => [k, sampleOf(v, k)]));
    case 'array':
      return [];
    case 'integer':
    case 'number':
      return Math.max(1, node.minimum ?? 1);
    case 'boolean':
      return false;
    default:
      return `mock provider: ${name || 'value'}`;
  }
}

/** The text of the answer: JSON that fits the requested schema, or a short plain reply. */
export function sideAnswerText(request: GenerateContentRequest): string {
  const config = request.generationConfig;
  const raw = config?.responseJsonSchema ?? config?.responseSchema;
  if (raw === undefined) return config?.responseMimeType === 'application/json' ? '{}' : 'mock provider: ok';
  const schema = Schema.safeParse(raw);
  return JSON.stringify(schema.success ? sampleOf(schema.data) : {});
}
