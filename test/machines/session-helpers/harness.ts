/**
 * Runs the session machine with fake `worker` and `review` actors.
 *
 * Each fake is a `fromPromise` that records its call (actor id, input) and asks a script for the
 * output. A script answer settles the call at once; `undefined` holds it, and the test settles it
 * later with `call.resolve(...)` (e.g. to send worker events while the worker is "running").
 * A call whose actor the session stopped (state left, session stopped) is marked `aborted`.
 */
import { createActor, fromPromise, waitFor, type Actor, type SnapshotFrom } from 'xstate';
import type { ReviewInput, ReviewOutput } from '../../../src/machines/review.js';
import type { SessionEmitted, SessionEvent } from '../../../src/machines/session.js';
import { sessionMachine } from '../../../src/machines/session.js';
import type { SessionInput } from '../../../src/machines/session-context.js';
import type { WorkerInput, WorkerOutput } from '../../../src/machines/worker.js';
import type { reviewMachine } from '../../../src/machines/review.js';
import type { workerMachine } from '../../../src/machines/worker.js';
import { agentEvent, decided, implemented, planAnswer, sessionInput, type InputOverrides } from './fixtures.js';

export interface Call<TInput, TOutput> {
  /** The actor id: `architect` / `implementer` / `phaseReview` for invoked ones, `review-<n>` for spawned reviews. */
  id: string;
  input: TInput;
  /** 1-based count of calls with this id (architect #1, #2, ...). */
  n: number;
  settled: boolean;
  aborted: boolean;
  resolve(output: TOutput): void;
  reject(error: unknown): void;
}
export type WorkerCall = Call<WorkerInput, WorkerOutput>;
export type ReviewCall = Call<ReviewInput, ReviewOutput>;

/** An output for the call, or undefined to hold the call for the test to settle. */
export type Script<TInput, TOutput> = (input: TInput, call: Call<TInput, TOutput>) => TOutput | undefined;
export type WorkerScript = Script<WorkerInput, WorkerOutput>;
export type ReviewScript = Script<ReviewInput, ReviewOutput>;

/** Default scripts: the architect answers with the two-task plan, implementers exit, every review says CONTINUE. */
export const happyWorker: WorkerScript = (input) => (input.workerId === 'architect' ? planAnswer() : implemented(`did ${input.workerId}`));
export const happyReview: ReviewScript = (input) => decided(input, 'CONTINUE');

/** Answers in order per actor id (`architect`, `implementer`, `phaseReview`, `review-*` as `spawned`); falls back once a list runs out. */
export function inOrder<TInput, TOutput>(lists: Record<string, (TOutput | ((input: TInput) => TOutput | undefined) | 'hold')[]>, fallback: Script<TInput, TOutput>): Script<TInput, TOutput> {
  return (input, call) => {
    const key = call.id.startsWith('review-') ? 'spawned' : call.id;
    const answer = lists[key]?.[call.n - 1];
    if (answer === undefined) return fallback(input, call);
    if (answer === 'hold') return undefined;
    return typeof answer === 'function' ? (answer as (input: TInput) => TOutput | undefined)(input) : answer;
  };
}

/** Review answers in order per actor id, as decisions. */
export function decisions(lists: Record<string, (Parameters<typeof decided>[1] | 'hold')[]>, fallback: ReviewScript = happyReview): ReviewScript {
  return inOrder<ReviewInput, ReviewOutput>(
    Object.fromEntries(Object.entries(lists).map(([k, v]) => [k, v.map((a) => (a === 'hold' ? 'hold' : (input: ReviewInput) => decided(input, a)))])),
    fallback,
  );
}

function fake<TInput, TOutput>(calls: Call<TInput, TOutput>[], script: () => Script<TInput, TOutput>) {
  return fromPromise<TOutput, TInput>(
    ({ input, self, signal }) =>
      new Promise<TOutput>((resolve, reject) => {
        const call: Call<TInput, TOutput> = {
          id: self.id,
          input,
          n: calls.filter((c) => c.id === self.id).length + 1,
          settled: false,
          aborted: false,
          resolve: (output) => {
            call.settled = true;
            resolve(output);
          },
          reject: (error) => {
            call.settled = true;
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        };
        signal.addEventListener('abort', () => {
          call.aborted = true;
        });
        calls.push(call);
        const output = script()(input, call);
        if (output !== undefined) call.resolve(output);
      }),
  );
}

export interface HarnessOptions {
  worker?: WorkerScript;
  review?: ReviewScript;
  input?: InputOverrides;
}

export type SessionSnapshot = SnapshotFrom<typeof sessionMachine>;

export function harness(options: HarnessOptions = {}) {
  const workers: WorkerCall[] = [];
  const reviews: ReviewCall[] = [];
  const emitted: SessionEmitted[] = [];
  const scripts = { worker: options.worker ?? happyWorker, review: options.review ?? happyReview };
  // The fakes stand in for the real machines: same input and output, no processes.
  const machine = sessionMachine.provide({
    actors: {
      worker: fake(workers, () => scripts.worker) as unknown as typeof workerMachine,
      review: fake(reviews, () => scripts.review) as unknown as typeof reviewMachine,
    },
  });
  const input: SessionInput = sessionInput(options.input);
  const errors: unknown[] = [];
  /** Every state the session passed through, transient ones (`implementing.next`, `resuming`) included. */
  const visited: string[] = [];
  const note = (value: unknown): void => {
    const s = stateString(value);
    if (visited.at(-1) !== s) visited.push(s);
  };
  const actor: Actor<typeof machine> = createActor(machine, {
    input,
    inspect: (ev) => {
      if (ev.actorRef.sessionId !== ev.rootId) return;
      if (ev.type === '@xstate.microstep' || ev.type === '@xstate.snapshot') note((ev.snapshot as SessionSnapshot).value);
    },
  });
  for (const type of ['session.plan', 'session.planRejected', 'session.tier', 'session.review', 'session.notice'] as const) actor.on(type, (e) => emitted.push(e));
  actor.subscribe({ error: (e) => errors.push(e) });

  const h = {
    machine,
    actor,
    workers,
    reviews,
    emitted,
    errors,
    scripts,
    visited,
    start() {
      actor.start();
      return h;
    },
    send(event: SessionEvent) {
      actor.send(event);
    },
    snapshot: (): SessionSnapshot => actor.getSnapshot(),
    /** The state value as a dotted path: `implementing.working`, `paused`. */
    state: (): string => stateString(actor.getSnapshot().value),
    /** Waits until the state (dotted path prefix) is reached. */
    async until(state: string | ((s: SessionSnapshot) => boolean)): Promise<SessionSnapshot> {
      const pred = typeof state === 'string' ? (s: SessionSnapshot) => matchesPath(stateString(s.value), state) : state;
      try {
        return await waitFor(actor, pred, { timeout: 2_000 });
      } catch (e) {
        throw new Error(`waiting for ${typeof state === 'string' ? state : 'a condition'}: state is ${h.state()} (${e instanceof Error ? e.message : String(e)})`, { cause: e });
      }
    },
    /** Waits for a held (unsettled, live) call of a fake with this actor id. */
    async held(id: string, kind: 'worker' | 'review' = id === 'architect' || id === 'implementer' ? 'worker' : 'review'): Promise<WorkerCall | ReviewCall> {
      const list: (WorkerCall | ReviewCall)[] = kind === 'worker' ? workers : reviews;
      const find = () => list.find((c) => (id.endsWith('*') ? c.id.startsWith(id.slice(0, -1)) : c.id === id) && !c.settled && !c.aborted);
      for (let i = 0; i < 200; i++) {
        const c = find();
        if (c) return c;
        await new Promise<void>((r) => setTimeout(r, 5));
      }
      throw new Error(`no held ${kind} call ${id}; state ${h.state()}; calls: ${list.map((c) => `${c.id}#${c.n}${c.settled ? ' settled' : ''}${c.aborted ? ' aborted' : ''}`).join(', ')}`);
    },
    async heldWorker(id: 'architect' | 'implementer'): Promise<WorkerCall> {
      return (await h.held(id, 'worker')) as WorkerCall;
    },
    async heldReview(id: string): Promise<ReviewCall> {
      return (await h.held(id, 'review')) as ReviewCall;
    },
    /** Worker calls of one id, in order. */
    calls: (id: string): WorkerCall[] => workers.filter((c) => c.id === id),
    /** Lets settled promises deliver their done events. */
    async flush(): Promise<void> {
      for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
    },
  };
  return h;
}

export type Harness = ReturnType<typeof harness>;

export function stateString(value: unknown): string {
  if (typeof value === 'string') return value;
  const [k, v] = Object.entries(value as Record<string, unknown>)[0] ?? [];
  return k === undefined ? '' : `${k}.${stateString(v)}`;
}

const matchesPath = (actual: string, wanted: string): boolean => actual === wanted || actual.startsWith(`${wanted}.`);

type Worker = WorkerOutput | 'hold';
/** Worker answers in order per role (`hold` keeps the call open); the happy answer once a list runs out. */
export const workers = (lists: { architect?: Worker[]; implementer?: Worker[] }): WorkerScript => inOrder(lists, happyWorker);
export const milestone = (text = 'part done', workerId = 'implementer'): SessionEvent => ({ type: 'worker.event', workerId, event: agentEvent(workerId, 'milestone', text) });

/** A session whose implementer (task b) is running: its call is held. */
export async function running(opts: HarnessOptions = {}): Promise<{ h: Harness; worker: WorkerCall }> {
  // The second run (a retry of the same task) is held too.
  const h = harness({ worker: workers({ implementer: ['hold', 'hold'] }), ...opts }).start();
  const worker = await h.heldWorker('implementer');
  return { h, worker };
}
