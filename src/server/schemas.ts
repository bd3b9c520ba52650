import type { FastifyInstance, FastifySchema } from 'fastify';
import { z } from 'zod';

export const SessionParams = z.strictObject({ id: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, 'session ids are letters, digits, "-" and "_"') });
export type SessionParams = z.infer<typeof SessionParams>;
export const SinceQuery = z.strictObject({
  since: z.coerce.number().int().nonnegative().optional(),
});
export type SinceQuery = z.infer<typeof SinceQuery>;
/** WebSocket streams also take `batch=1`: each frame is then a JSON array of the envelopes committed in one turn. */
export const WsStreamQuery = SinceQuery.extend({
  batch: z.enum(['0', '1', 'true', 'false']).optional().transform((v) => v === '1' || v === 'true'),
});
export type WsStreamQuery = z.infer<typeof WsStreamQuery>;
export const EventsQuery = z.strictObject({
  after: z.coerce.number().int().nonnegative().default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  type: z.string().max(100).optional(),
  agent: z.string().max(100).optional(),
});
export type EventsQuery = z.infer<typeof EventsQuery>;

export const CONTROLS = ['pause', 'resume', 'stop', 'review', 'clarify', 'approve', 'reject'] as const;
export const ControlParams = z.strictObject({ action: z.enum(CONTROLS) });
export type ControlParams = z.infer<typeof ControlParams>;
export const ScopedControlParams = SessionParams.extend({ action: z.enum(CONTROLS) });
export type ScopedControlParams = z.infer<typeof ScopedControlParams>;
/** One body for every control (none at all is `{}`): only `clarify` needs text; `reject` may give a reason. */
export const ControlBody = z.preprocess(
  (v) => v ?? {},
  z.strictObject({
    text: z.string().trim().min(1).max(10_000).optional(),
    reason: z.string().trim().min(1).max(2_000).optional(),
  }),
);
export type ControlBody = z.infer<typeof ControlBody>;

export const ConfirmationParams = z.strictObject({ cid: z.string().regex(/^[a-z0-9-]{1,80}$/, 'confirmation ids are lower-case letters, digits and "-"') });
export const ScopedConfirmationParams = SessionParams.extend(ConfirmationParams.shape);
export type ScopedConfirmationParams = z.infer<typeof ScopedConfirmationParams>;
export const ConfirmationBody = z.strictObject({
  approve: z.boolean(),
  reason: z.string().trim().min(1).max(2_000).optional(),
});
export type ConfirmationBody = z.infer<typeof ConfirmationBody>;

/** A control sent over the WebSocket: the same actions and body as the REST route. */
export const WsControl = z.strictObject({
  type: z.literal('control'),
  action: z.enum(CONTROLS),
  text: z.string().trim().min(1).max(10_000).optional(),
  reason: z.string().trim().min(1).max(2_000).optional(),
});

/** Route schemas are zod schemas: JSON Schema for the OpenAPI document, zod for validation. */
const zodOf = new WeakMap<object, z.ZodType>();

export function schemaOf(parts: { params?: z.ZodType; querystring?: z.ZodType; body?: z.ZodType; summary: string; tags?: string[] }): FastifySchema {
  const out: FastifySchema & Record<string, unknown> = { summary: parts.summary, tags: parts.tags ?? ['api'] };
  for (const key of ['params', 'querystring', 'body'] as const) {
    const zod = parts[key];
    if (!zod) continue;
    const json = z.toJSONSchema(zod, { io: 'input', unrepresentable: 'any' });
    zodOf.set(json, zod);
    out[key] = json;
  }
  return out;
}

export function installZodValidation(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema }) => {
    const zod = zodOf.get(schema);
    if (!zod) throw new Error('route schemas must be made with schemaOf()');
    return (data: unknown) => {
      const parsed = zod.safeParse(data);
      if (parsed.success) return { value: parsed.data };
      const message = parsed.error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');
      return { error: new Error(message) };
    };
  });
}
export const InspectQuery = z.strictObject({
  since: z.coerce.number().int().nonnegative().optional(),
  /** Events in full (still without secrets); redacted unless asked. */
  mode: z.enum(['redacted', 'full']).default('redacted'),
});
export type InspectQuery = z.infer<typeof InspectQuery>;
