import { createActor, fromPromise, SimulatedClock, type EventObject, type SnapshotFrom, type StateValue } from 'xstate';
import { recoveryMachine } from '../../../src/machines/recovery.js';
import { workerMachine, type WorkerInput, type WorkerNotice, type WorkerOutput } from '../../../src/machines/worker.js';
import { AGENT, baseRequest, fakeAgents, SESSION, WORKER, type FakeAgentOptions } from './fake-agent.js';
import { childOf, recordingParent, sent } from './recording-parent.js';

export const MINUTE = 60_000;

export function workerInput(overrides: Partial<WorkerInput> = {}): WorkerInput {
  return {
    sessionId: SESSION,
    workerId: WORKER,
    role: 'implementer',
    agent: AGENT,
    adapter: 'claude',
    sessionDir: '/ws/s1',
    request: baseRequest,
    silenceMs: 15 * MINUTE,
    maxRecoveryAttempts: 2,
    verifyTimeoutMs: 5 * MINUTE,
    ...overrides,
  };
}

export interface WorkerHarnessOptions extends FakeAgentOptions {
  input?: Partial<WorkerInput>;
  /** How waiting for a stopped process group ends: resolve (default), reject, or never. */
  groupExit?: 'resolve' | 'reject' | 'never';
}

/**
 * A worker under a recording parent, with a fake agent process, an immediately answering
 * `awaitGroupExit` and a simulated clock. Records the worker's state values as they change.
 */
export function startWorker(options: WorkerHarnessOptions = {}) {
  const agents = fakeAgents(options);
  const groupWaits: { pid?: number | undefined }[] = [];
  const awaitGroupExit = fromPromise<void, { pid?: number | undefined }>(({ input }) => {
    groupWaits.push(input);
    if (options.groupExit === 'reject') return Promise.reject(new Error('cannot observe the process group'));
    if (options.groupExit === 'never') return new Promise<void>(() => undefined);
    return Promise.resolve();
  });
  const worker = workerMachine.provide({
    actors: { agentProcess: agents.logic, recovery: recoveryMachine.provide({ actors: { awaitGroupExit } }) },
  });
  const clock = new SimulatedClock();
  const states: StateValue[] = [];
  const parent = createActor(recordingParent(worker), {
    clock,
    input: workerInput(options.input),
    inspect: (ev) => {
      if (ev.type !== '@xstate.snapshot' || !('id' in ev.actorRef) || ev.actorRef.id !== 'child') return;
      const value = (ev.snapshot as SnapshotFrom<typeof workerMachine>).value;
      if (states.at(-1) !== value) states.push(value);
    },
  });
  parent.start();

  const seen = (): EventObject[] => parent.getSnapshot().context.seen;
  return {
    parent,
    agents,
    clock,
    groupWaits,
    states,
    seen,
    notices: <T extends WorkerNotice['type']>(type: T) => sent<WorkerNotice, T>(seen(), type),
    child: () => childOf(parent, worker),
    /** The worker's current snapshot (throws once it has ended). */
    snapshot: () => {
      const ref = childOf(parent, worker);
      if (!ref) throw new Error('the worker has ended');
      return ref.getSnapshot();
    },
    send: (event: Parameters<NonNullable<ReturnType<typeof childOf<typeof worker>>>['send']>[0]) => {
      const ref = childOf(parent, worker);
      if (!ref) throw new Error('the worker has ended');
      ref.send(event);
    },
    output: (): WorkerOutput | undefined => parent.getSnapshot().context.output,
    error: (): unknown => parent.getSnapshot().context.error,
  };
}

export type WorkerHarness = ReturnType<typeof startWorker>;
