/**
 * Model-based testing of the session machine with `xstate/graph`.
 *
 * How invoked/spawned actors are handled: graph traversal runs the machine's pure `transition`
 * with a mock actor scope, so child actors are created (their input is computed) but never run
 * and never finish. Their completion is an ordinary event for the parent, though:
 * `xstate.done.actor.<id>` with the child's `output`. So the traversal is given, besides the user
 * and worker events, one synthetic done event per live child and per scripted outcome (valid /
 * invalid plan, exit, auth failure, crash, stop; the four review decisions). Every path the graph
 * yields is then replayed on a real actor whose `worker`/`review` fakes hold every call: a step
 * whose event is a done event settles the held fake of that child with the event's output, so
 * the real done event comes from the fake; any other step is sent as is. After each step the
 * real snapshot must serialize to the graph's state, which shows that the synthetic done events
 * model what the actors really do.
 */
import type { AnyActorRef } from 'xstate';
import type { ReviewOutput } from '../../../src/machines/review.js';
import type { SessionEvent } from '../../../src/machines/session.js';
import type { WorkerOutput } from '../../../src/machines/worker.js';
import type { DecisionAction } from '../../../src/protocol/index.js';
import { agentEvent, crashed, decided, failedWith, implemented, invalidPlanAnswer, ONE_TASK, planAnswer, stoppedWorker, usage } from './fixtures.js';
import { harness, type Harness, type SessionSnapshot } from './harness.js';

const DONE = 'xstate.done.actor.';
const ACTIONS: DecisionAction[] = ['CONTINUE', 'LOG_WARNING', 'PAUSE_AND_CLARIFY', 'STOP_AND_ESCALATE'];

export type DoneEvent = { type: `xstate.done.actor.${string}`; actorId: string; output: WorkerOutput | ReviewOutput };

export const isDone = (e: { type: string }): boolean => e.type.startsWith(DONE);

function done(actorId: string, output: WorkerOutput | ReviewOutput): SessionEvent {
  return { type: `${DONE}${actorId}`, actorId, output } as unknown as SessionEvent;
}

/** The input a (not started) child was created with: a promise actor keeps it in its snapshot. */
function childInput(ref: AnyActorRef): Record<string, unknown> {
  return (ref.getSnapshot() as { input?: Record<string, unknown> }).input ?? {};
}

/** The events offered in a state: user controls, worker reports, usage, and the outcomes of each live child. */
export function eventsFor(snapshot: SessionSnapshot): SessionEvent[] {
  // The pure `transition` would still apply root handlers to a final snapshot; a real actor that is done takes no events.
  if (snapshot.status !== 'active') return [];
  const events: SessionEvent[] = [
    { type: 'user.pause' },
    { type: 'user.resume' },
    { type: 'user.stop' },
    { type: 'user.clarify', text: 'clarified' },
    { type: 'user.approve' },
    { type: 'user.reject', reason: 'rejected' },
  ];
  // Crosses the session token budget (1000) at once (offered until that budget was acknowledged).
  if (snapshot.context.budgetsAcknowledged.length === 0) events.push({ type: 'usage.reported', agent: 'codex', usage: usage(1000) });
  const children = snapshot.children as Record<string, AnyActorRef | undefined>;
  const spawnedLive = snapshot.context.liveReviews.length > 0;
  // Mid-run reviews: at most one at a time here, and none while a decision is queued, to keep the graph finite.
  if (!spawnedLive && snapshot.context.queuedDecisions.length === 0) events.push({ type: 'user.review' });
  for (const [id, ref] of Object.entries(children)) {
    if (!ref) continue;
    // One tier drop is modelled (tier 1 → 3 or 4); further drops and running out of tiers are in session.test.ts.
    const auth = snapshot.context.tier.tier === 1 ? [done(id, failedWith(id))] : [];
    if (id === 'architect') {
      events.push(done(id, planAnswer(ONE_TASK)), done(id, invalidPlanAnswer()), ...auth, done(id, crashed(id)), done(id, stoppedWorker(id)));
    } else if (id === 'implementer') {
      events.push(done(id, implemented()), ...auth, done(id, crashed(id)), done(id, stoppedWorker(id)));
    } else {
      const input = childInput(ref) as unknown as Parameters<typeof decided>[0];
      for (const action of ACTIONS) events.push(done(id, decided(input, action)));
    }
    if ((id === 'architect' || id === 'implementer') && !spawnedLive) {
      events.push(
        { type: 'worker.event', workerId: id, event: agentEvent(id, 'milestone', 'a milestone') },
        { type: 'worker.event', workerId: id, event: agentEvent(id, 'blocker', 'a blocker') },
        { type: 'worker.silent', workerId: id },
      );
    }
  }
  return events;
}

/** Events after which the session keeps going: the user's decisions, workers that succeed, reviews that say CONTINUE. */
export function keepsGoing(e: SessionEvent): boolean {
  if (e.type === 'user.approve' || e.type === 'user.reject' || e.type === 'user.stop') return true;
  if (!isDone(e)) return false;
  const o = (e as unknown as DoneEvent).output;
  if ('decision' in o) return o.decision.action === 'CONTINUE';
  return o.status === 'exited' && (o.workerId !== 'architect' || o.finalText !== 'no json here');
}

/**
 * What identifies a state for the traversal: the state value and the context that decides what
 * happens next (bounded: review numbers and usage totals are left out, child ids normalized).
 */
export function serialize(snapshot: SessionSnapshot): string {
  const c = snapshot.context;
  return JSON.stringify({
    value: snapshot.value,
    status: snapshot.status,
    planAttempts: c.planAttempts,
    planned: c.plan !== undefined,
    remaining: c.tasks.length - c.taskIndex,
    resumeTo: c.resumeTo,
    pausedFor: c.pausedFor === undefined ? undefined : c.pausedFor.includes('budget') ? 'budget' : 'user',
    budgetAcked: c.budgetsAcknowledged.length > 0,
    live: c.liveReviews.length,
    monitored: [...c.monitored].sort(),
    warned: c.warning === undefined ? false : c.warningGiven ? 'given' : 'pending',
    escalation: c.escalation && [c.escalation.onApprove, c.escalation.acceptsClarification === true],
    queued: c.queuedDecisions.map((q) => q.kind),
    tier: c.tier.tier,
    children: Object.keys(snapshot.children as object)
      .map((id) => id.replace(/^review-\d+$/, 'review-n'))
      .sort(),
  });
}

export const GRAPH_INPUT = { settings: { budgets: { tokens: 1000, perAgent: {} } } } as const;

/** A harness whose fakes hold every call, for replaying graph paths. */
export function replayHarness(): Harness {
  return harness({ worker: () => undefined, review: () => undefined, input: GRAPH_INPUT }).start();
}

/**
 * Replays a path's events on a real actor; returns the serialized real state after each step
 * (to compare with the path's states).
 */
export async function replay(events: readonly SessionEvent[]): Promise<{ h: Harness; states: string[] }> {
  const h = replayHarness();
  const states = [serialize(h.snapshot())];
  for (const event of events) {
    if (isDone(event)) {
      const { actorId, output } = event as unknown as DoneEvent;
      const call = [...h.workers, ...h.reviews].find((c) => c.id === actorId && !c.settled && !c.aborted);
      if (!call) throw new Error(`no live fake for ${actorId} in ${h.state()}`);
      (call.resolve as (o: unknown) => void)(output);
      // The fake's promise settles in a microtask; its done event reaches the session right after.
      await new Promise<void>((r) => setImmediate(r));
    } else {
      // Sent events are processed synchronously.
      h.send(event);
    }
    states.push(serialize(h.snapshot()));
  }
  return { h, states };
}
