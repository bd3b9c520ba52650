/** `session.rearm`: after a restore, the live worker re-arms its silence timer for the remaining time. */
import { createActor, fromCallback, fromPromise, SimulatedClock, type EventObject } from 'xstate';
import { describe, expect, it } from 'vitest';
import { recoveryMachine } from '../../src/machines/recovery.js';
import type { ReviewInput, ReviewOutput, reviewMachine } from '../../src/machines/review.js';
import { sessionMachine } from '../../src/machines/session.js';
import { workerMachine } from '../../src/machines/worker.js';
import { ev, fakeAgents, spawned } from './helpers/fake-agent.js';
import { sessionInput } from './session-helpers/fixtures.js';
import { harness, workers } from './session-helpers/harness.js';

describe('session: session.rearm', () => {
  it('forwards worker.rearm to the live worker (architect, then implementer), and is a no-op without one', async () => {
    const received: { id: string; event: EventObject }[] = [];
    const worker = fromCallback<EventObject>(({ self, receive }) => receive((event) => received.push({ id: self.id, event })));
    const h = harness({ worker: workers({ architect: ['hold'] }) });
    const machine = h.machine.provide({ actors: { worker: worker as unknown as typeof workerMachine } });
    const actor = createActor(machine, { input: sessionInput() });
    actor.start();
    actor.send({ type: 'session.rearm', now: '2025-01-01T00:05:00.000Z' });
    expect(received).toEqual([{ id: 'architect', event: { type: 'worker.rearm', now: '2025-01-01T00:05:00.000Z' } }]);
    actor.send({ type: 'user.pause' });
    actor.send({ type: 'session.rearm', now: '2025-01-01T00:06:00.000Z' });
    expect(received).toHaveLength(1);
    expect(actor.getSnapshot().status).toBe('active');
    actor.stop();
    await Promise.resolve();
  });

  it('a restored session whose architect was silent asks for a silence review after the remaining time', () => {
    const agents = fakeAgents({ scripts: { 1: () => [spawned(1)] } });
    const reviews: ReviewInput[] = [];
    const review = fromPromise<ReviewOutput, ReviewInput>(({ input }) => {
      reviews.push(input);
      return new Promise<never>(() => undefined);
    });
    const machine = sessionMachine.provide({
      actors: {
        worker: workerMachine.provide({ actors: { agentProcess: agents.logic, recovery: recoveryMachine } }),
        review: review as unknown as typeof reviewMachine,
      },
    });
    const input = sessionInput(); // silenceMs: 60 s
    const first = createActor(machine, { input, clock: new SimulatedClock() });
    first.start();
    agents.run(1).send(ev(1, 'status', { text: 'thinking' }, { timestamp: '2025-01-01T00:00:10.000Z', workerId: 'architect' }));
    const persisted = first.getPersistedSnapshot();
    first.stop();

    const clock = new SimulatedClock();
    const restored = createActor(machine, { input, snapshot: persisted, clock });
    const errors: unknown[] = [];
    restored.subscribe({ error: (e) => errors.push(e) });
    restored.start();
    clock.increment(10 * 60_000);
    expect(reviews).toEqual([]);

    // 30 s after the last event: 30 s remain.
    restored.send({ type: 'session.rearm', now: '2025-01-01T00:00:40.000Z' });
    clock.increment(30_000 - 1);
    expect(reviews).toEqual([]);
    clock.increment(1);
    expect(reviews.map((r) => [r.trigger, r.subjectWorkerId])).toEqual([['silence', 'architect']]);
    expect(errors).toEqual([]);
    restored.stop();
  });
});
