import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionEvent } from '../machines/session.js';
import type { SessionRegistry } from './registry.js';
import { ConfirmationBody, ConfirmationParams, ControlBody, ControlParams, ScopedConfirmationParams, ScopedControlParams, schemaOf, type ScopedControlParams as Scoped } from './schemas.js';

/** The statechart event for a control, or why the body does not make one. */
export function eventOf(action: Scoped['action'], body: ControlBody): SessionEvent | string {
  switch (action) {
    case 'pause':
      return { type: 'user.pause' };
    case 'resume':
      return { type: 'user.resume' };
    case 'stop':
      return { type: 'user.stop' };
    case 'review':
      return { type: 'user.review' };
    case 'approve':
      return { type: 'user.approve' };
    case 'reject':
      return { type: 'user.reject', reason: body.reason ?? 'rejected on the dashboard' };
    case 'clarify':
      return body.text ? { type: 'user.clarify', text: body.text } : 'a clarification needs {"text": "..."}';
  }
}

const STATUS = { unknown_session: 404, not_live: 409, not_accepted: 409 } as const;

/**
 * Controls go to the session's root actor, the one way in; `SessionHandle.send` records each
 * as a `control` entry before the actor sees it. A control the current state would ignore is
 * refused (409) rather than recorded as if it did something.
 */
export function registerControlRoutes(app: FastifyInstance, registry: SessionRegistry): void {
  const handle = (id: string | undefined, action: Scoped['action'], req: FastifyRequest, reply: FastifyReply): unknown => {
    if (id === undefined) return reply.code(404).send({ error: 'no_session', message: 'the store has no session yet' });
    const event = eventOf(action, (req.body ?? {}));
    if (typeof event === 'string') return reply.code(400).send({ error: 'bad_request', message: event });
    const result = registry.control(id, event);
    if ('kind' in result) return reply.code(STATUS[result.kind]).send({ error: result.kind, message: result.message });
    return reply.code(202).send({ accepted: true, sessionId: id, event: event.type, state: result.state });
  };
  const docs = 'pause | resume | stop | review | clarify {text} | approve | reject {reason?}';
  app.post('/api/control/:action', { schema: schemaOf({ summary: `${docs} (the live session)`, tags: ['control'], params: ControlParams, body: ControlBody }) }, (req, reply) =>
    handle(registry.defaultId(), (req.params as ControlParams).action, req, reply),
  );
  const confirm = (id: string | undefined, cid: string, req: FastifyRequest, reply: FastifyReply): unknown => {
    if (id === undefined) return reply.code(404).send({ error: 'no_session', message: 'the store has no session yet' });
    const body = req.body as ConfirmationBody;
    const result = registry.confirm(id, cid, body.approve, body.reason);
    if ('kind' in result) return reply.code(STATUS[result.kind]).send({ error: result.kind, message: result.message });
    return reply.code(202).send({ answered: true, sessionId: id, confirmation: cid, approve: body.approve });
  };
  const confirmDocs = 'answer a command waiting for confirmation: {approve, reason?}';
  app.post('/api/confirmations/:cid', { schema: schemaOf({ summary: `${confirmDocs} (the live session)`, tags: ['control'], params: ConfirmationParams, body: ConfirmationBody }) }, (req, reply) =>
    confirm(registry.defaultId(), (req.params as { cid: string }).cid, req, reply),
  );
  app.post('/api/sessions/:id/confirmations/:cid', { schema: schemaOf({ summary: confirmDocs, tags: ['control'], params: ScopedConfirmationParams, body: ConfirmationBody }) }, (req, reply) => {
    const p = req.params as ScopedConfirmationParams;
    return confirm(p.id, p.cid, req, reply);
  });
  app.post('/api/sessions/:id/control/:action', { schema: schemaOf({ summary: docs, tags: ['control'], params: ScopedControlParams, body: ControlBody }) }, (req, reply) => {
    const p = req.params as Scoped;
    return handle(p.id, p.action, req, reply);
  });
}
