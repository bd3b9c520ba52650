import { assign, setup, waitFor, type ActorRefFrom, type AnyActorRef, type AnyStateMachine, type EventObject, type InputFrom, type OutputFrom } from 'xstate';

export interface RecordingContext<TInput, TOutput> {
  input: TInput;
  /** Every event the child sent to its parent, in order (the child's own done/error event excluded). */
  seen: EventObject[];
  output?: TOutput;
  error?: unknown;
}

/**
 * A minimal parent for a machine that talks to its parent with `sendParent`: it invokes the
 * machine as `child`, records whatever the child sends, and keeps its output or error.
 */
export function recordingParent<TLogic extends AnyStateMachine>(child: TLogic) {
  type Ctx = RecordingContext<InputFrom<TLogic>, OutputFrom<TLogic>>;
  return setup({
    types: {
      context: {} as Ctx,
      input: {} as InputFrom<TLogic>,
      events: {} as EventObject,
    },
    actors: { child: child as AnyStateMachine },
  }).createMachine({
    context: ({ input }) => ({ input, seen: [] }),
    initial: 'running',
    // Handlers of the deeper state (onDone/onError) win over this catch-all.
    on: { '*': { actions: assign({ seen: ({ context, event }) => [...context.seen, event] }) } },
    states: {
      running: {
        invoke: {
          id: 'child',
          src: 'child',
          input: ({ context }: { context: Ctx }) => context.input,
          onDone: { target: 'done', actions: assign({ output: ({ event }) => event.output as OutputFrom<TLogic> }) },
          onError: { target: 'crashed', actions: assign({ error: ({ event }) => event.error }) },
        },
      },
      done: { type: 'final' },
      crashed: { type: 'final' },
    },
  });
}

/** The invoked child of a recording parent (undefined once it has ended). */
export function childOf<TLogic extends AnyStateMachine>(parent: AnyActorRef, _logic: TLogic): ActorRefFrom<TLogic> | undefined {
  const snapshot = parent.getSnapshot() as { children: Record<string, AnyActorRef | undefined> };
  return snapshot.children.child as ActorRefFrom<TLogic> | undefined;
}

/** Events of one type the child sent so far. */
export function sent<TEvent extends EventObject, TType extends TEvent['type']>(seen: readonly EventObject[], type: TType): Extract<TEvent, { type: TType }>[] {
  return seen.filter((e) => e.type === type) as Extract<TEvent, { type: TType }>[];
}

/** Lets promise actors settle (microtasks and one macrotask turn), with simulated time untouched. */
export async function settle(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Waits (in real time, bounded) until the predicate holds for the actor's snapshot. */
export async function until<TActor extends AnyActorRef>(actor: TActor, predicate: (snapshot: ReturnType<TActor['getSnapshot']>) => boolean): Promise<void> {
  await waitFor(actor, (s) => predicate(s as ReturnType<TActor['getSnapshot']>), { timeout: 2_000 });
}
