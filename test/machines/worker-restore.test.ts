/**
 * The silence timer across a restore: XState does not bring back delayed events from a persisted
 * snapshot, so the worker keeps `silenceDeadline` in context and `worker.rearm { now }` arms the
 * check for the time that remained.
 */
import { createActor, SimulatedClock, transition } from 'xstate';
import { describe, expect, it } from 'vitest';
import { recoveryMachine } from '../../src/machines/recovery.js';
import { workerMachine, type WorkerContext, type WorkerNotice } from '../../src/machines/worker.js';
import { ev, fakeAgents, spawned } from './helpers/fake-agent.js';
import { childOf, recordingParent, sent } from './helpers/recording-parent.js';
import { MINUTE, startWorker, workerInput } from './helpers/worker-harness.js';

const SILENCE = 15 * MINUTE;
const T = '2025-01-01T10:00:00.000Z';
const plus = (ms: number): string => new Date(Date.parse(T) + ms).toISOString();

describe('worker: silenceDeadline', () => {
  it('is the last event time + silenceMs, and moves on by silenceMs with each reminder', () => {
    const h = startWorker({ scripts: { 1: () => [spawned(1)] } });
    expect(h.snapshot().context.silenceDeadline).toBeUndefined();
    h.agents.run(1).send(ev(1, 'status', { text: 'alive' }, { timestamp: T }));
    expect(h.snapshot().context.silenceDeadline).toBe(plus(SILENCE));
    h.clock.increment(SILENCE);
    expect(h.notices('worker.silent')).toHaveLength(1);
    expect(h.snapshot().context.silenceDeadline).toBe(plus(2 * SILENCE));
  });

  it('worker.rearm in running raises the check after the remaining time (never negative)', () => {
    const context: WorkerContext = { ...workerInput(), attempt: 1, status: 'running', progress: 0, usage: { inputTokens: 0, outputTokens: 0, cachedTokens: 0 }, recoveries: 0, silenceDeadline: plus(SILENCE) };
    const running = workerMachine.resolveState({ value: 'running', context });
    const delayOf = (now: string) => {
      const [after, actions] = transition(workerMachine, running, { type: 'worker.rearm', now });
      expect(after.value).toBe('running');
      const raise = actions.find((a) => a.type === 'xstate.raise');
      expect(raise?.params).toMatchObject({ event: { type: 'worker.silenceCheck' }, id: 'silence' });
      return (raise?.params as { delay: number }).delay;
    };
    expect(delayOf(plus(10 * MINUTE))).toBe(5 * MINUTE);
    expect(delayOf(T)).toBe(SILENCE);
    expect(delayOf(plus(20 * MINUTE))).toBe(0);
  });

  it('a rearm without a deadline (nothing heard since the spawn) waits silenceMs from now and keeps that deadline', () => {
    const context: WorkerContext = { ...workerInput(), attempt: 1, status: 'running', progress: 0, usage: { inputTokens: 0, outputTokens: 0, cachedTokens: 0 }, recoveries: 0 };
    const [after, actions] = transition(workerMachine, workerMachine.resolveState({ value: 'running', context }), { type: 'worker.rearm', now: T });
    expect(after.context.silenceDeadline).toBe(plus(SILENCE));
    expect(actions.find((a) => a.type === 'xstate.raise')?.params).toMatchObject({ delay: SILENCE });
  });
});

describe('worker: restored from a persisted snapshot (simulated time)', () => {
  function persistedRunning() {
    const agents = fakeAgents({ scripts: { 1: () => [spawned(1)] } });
    const worker = workerMachine.provide({ actors: { agentProcess: agents.logic, recovery: recoveryMachine } });
    const logic = recordingParent(worker);
    const first = createActor(logic, { clock: new SimulatedClock(), input: workerInput() });
    first.start();
    agents.run(1).send(ev(1, 'status', { text: 'alive' }, { timestamp: T }));
    const persisted = first.getPersistedSnapshot();
    first.stop();
    const clock = new SimulatedClock();
    const restored = createActor(logic, { clock, snapshot: persisted, input: workerInput() });
    restored.start();
    const silent = () => sent<WorkerNotice, 'worker.silent'>(restored.getSnapshot().context.seen, 'worker.silent');
    const rearm = (now: string) => childOf(restored, worker)!.send({ type: 'worker.rearm', now });
    return { restored, clock, silent, rearm, worker };
  }

  it('has lost the pending check: nothing fires without a rearm', () => {
    const { restored, clock, silent, worker } = persistedRunning();
    expect(childOf(restored, worker)?.getSnapshot().value).toBe('running');
    clock.increment(4 * SILENCE);
    expect(silent()).toEqual([]);
  });

  it('fires worker.silent after the remaining time once rearmed, then every silenceMs', () => {
    const { clock, silent, rearm } = persistedRunning();
    // Restored 10 minutes after the last event: 5 minutes remain.
    rearm(plus(10 * MINUTE));
    clock.increment(5 * MINUTE - 1);
    expect(silent()).toEqual([]);
    clock.increment(1);
    expect(silent()).toHaveLength(1);
    clock.increment(SILENCE);
    expect(silent()).toHaveLength(2);
  });

  it('fires at once when the deadline passed while the orchestrator was down', () => {
    const { clock, silent, rearm } = persistedRunning();
    rearm(plus(3 * SILENCE));
    clock.increment(0);
    expect(silent()).toHaveLength(1);
  });
});
