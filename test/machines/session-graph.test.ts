/**
 * The session machine as a graph.
 *
 * `xstate/graph` traverses with the machine's pure `transition` and a mock actor scope: invoked
 * (`architect`, `implementer`, `phaseReview`) and spawned (`review-<n>`) children are created but
 * never run, so they never finish by themselves. Their completion is only an event to the
 * session, `xstate.done.actor.<id>` with an `output`, so the traversal offers one such synthetic
 * event per live child and scripted outcome, next to the user/worker events (eventsFor in
 * session-helpers/graph.ts). States are serialized to the context that steers the machine, which
 * keeps the graph finite (a few thousand states).
 *
 * Then paths from the graph are replayed on real actors with the fake `worker`/`review` actors:
 * every fake call is held, and a done step settles the held fake of that child with the step's
 * output, so the done event the session gets really comes from the fake; other steps are sent as
 * they are. The real snapshot must match the graph's state after every step.
 */
import { getMicrosteps, type ActorLogic } from 'xstate';
import { getAdjacencyMap, getShortestPaths, getSimplePaths, getStateNodes, toDirectedGraph, type AdjacencyMap, type AdjacencyValue, type DirectedGraphNode } from 'xstate/graph';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { SessionEvent } from '../../src/machines/session.js';
import type { SessionInput } from '../../src/machines/session-context.js';
import { sessionInput } from './session-helpers/fixtures.js';
import { eventsFor, GRAPH_INPUT, isDone, keepsGoing, replay, serialize } from './session-helpers/graph.js';
import { harness, stateString, type SessionSnapshot } from './session-helpers/harness.js';

const machine = harness({ input: GRAPH_INPUT }).machine;
const input = sessionInput(GRAPH_INPUT);
const traversal = { input, events: eventsFor, serializeState: serialize, limit: 100_000 };

/** Node ids (`session.planning.working`) of a state value, ancestors included. */
function nodeIds(value: unknown): string[] {
  const parts = stateString(value).split('.');
  return parts.map((_, i) => ['session', ...parts.slice(0, i + 1)].join('.'));
}

const allNodeIds = getStateNodes(machine.root).map((n) => n.id);
const finalStates = ['completed', 'failed', 'stopped'];
const waitingStates = ['escalated', 'awaitingClarification', 'paused'];

describe('session graph: structure', () => {
  it('every state node has an incoming transition (toDirectedGraph)', () => {
    const edges: { source: string; target: string; event: string }[] = [];
    const walk = (node: DirectedGraphNode): void => {
      for (const e of node.edges) edges.push({ source: e.source.id, target: e.target.id, event: e.label.text });
      node.children.forEach(walk);
    };
    walk(toDirectedGraph(machine));
    const targets = new Set(edges.map((e) => e.target));
    // Initial states are entered without a transition of their own.
    const initial = new Set(['session.planning', 'session.planning.working', 'session.implementing.next']);
    const unreached = allNodeIds.filter((id) => !targets.has(id) && !initial.has(id));
    expect(unreached).toEqual([]);
    expect(allNodeIds.sort()).toEqual(
      [
        'session.planning',
        'session.planning.working',
        'session.planning.reviewing',
        'session.implementing',
        'session.implementing.next',
        'session.implementing.working',
        'session.implementing.reviewing',
        'session.finalReview',
        'session.paused',
        'session.awaitingClarification',
        'session.escalated',
        'session.resuming',
        'session.completed',
        'session.failed',
        'session.stopped',
      ].sort(),
    );
    // user.stop is a root transition: every non-final state can take it.
    expect(edges.filter((e) => e.event === 'user.stop').map((e) => [e.source, e.target])).toEqual([['session', 'session.stopped']]);
  });
});

// Computed once: the traversal covers a few thousand abstract states in a few seconds.
let adjacency: AdjacencyMap<SessionSnapshot, SessionEvent>;
let paths: ReturnType<typeof getShortestPaths<typeof machine>>;
beforeAll(() => {
  // getAdjacencyMap is typed over plain ActorLogic, whose emitted events a machine's do not match.
  adjacency = getAdjacencyMap(machine as unknown as ActorLogic<SessionSnapshot, SessionEvent, SessionInput>, traversal);
  paths = getShortestPaths(machine, traversal);
}, 60_000);

type Adjacent = AdjacencyValue<SessionSnapshot, SessionEvent>;
type Move = { event: SessionEvent; state: SessionSnapshot };
// The map is keyed by branded strings, which Object.values does not see through.
const adjacent = (): Adjacent[] => Object.values(adjacency) as Adjacent[];
const moves = (a: Adjacent): Move[] => Object.values(a.transitions);

const shortestTo = (target: string) =>
  paths.filter((p) => p.state.matches(target as never)).sort((a, b) => a.steps.length - b.steps.length)[0]!;

describe('session graph: traversal with synthetic actor completions', () => {
  it('reaches every state node, transient ones (implementing.next, resuming) through microsteps', () => {
    const seen = new Set<string>();
    const missing = () => allNodeIds.filter((id) => !seen.has(id));
    for (const a of adjacent()) {
      const { state } = a;
      nodeIds(state.value).forEach((id) => seen.add(id));
      for (const { event } of moves(a)) {
        for (const [micro] of getMicrosteps(machine, state, event)) nodeIds(micro.value).forEach((id) => seen.add(id));
      }
      if (missing().length === 0) break;
    }
    expect(missing()).toEqual([]);
    expect(paths.length).toBe(Object.keys(adjacency).length);
  });

  it.each([...finalStates, ...waitingStates])('has a path to %s', (target) => {
    expect(shortestTo(target)).toBeDefined();
  });

  it('the traversal does not go on from final states', () => {
    const finals = adjacent().filter(({ state }) => finalStates.some((f) => state.matches(f as never)));
    expect(finals.length).toBeGreaterThan(0);
    for (const a of finals) {
      expect(a.state.status).toBe('done');
      expect(moves(a)).toEqual([]);
    }
  });

  it('every waiting state has a way out that the user controls, and only those', () => {
    const outs: Record<string, Set<string>> = {};
    for (const a of adjacent()) {
      const from = stateString(a.state.value);
      if (!waitingStates.includes(from)) continue;
      for (const { event, state: next } of moves(a)) {
        if (stateString(next.value) !== from) (outs[from] ??= new Set()).add(event.type);
      }
    }
    expect(Object.fromEntries(Object.entries(outs).map(([k, v]) => [k, [...v].sort()]))).toEqual({
      awaitingClarification: ['user.clarify', 'user.stop'],
      // user.clarify: a plan that failed validation twice plans again with the clarification.
      escalated: ['user.approve', 'user.clarify', 'user.reject', 'user.stop'],
      paused: ['user.resume', 'user.stop'],
    });
  });

  it('simple paths from escalated: approve leads back to work, reject only to failed', () => {
    const escalated = shortestTo('escalated').state;
    // Bounded: only user decisions and outcomes that keep going (no further failures or pauses).
    const simple = getSimplePaths(machine, { ...traversal, fromState: escalated, toState: (s: SessionSnapshot) => s.status === 'done', events: (s: SessionSnapshot) => eventsFor(s).filter(keepsGoing) });
    const firstAndLast = new Set(simple.map((p) => `${p.steps[1]?.event.type ?? '?'} → ${stateString(p.state.value)}`));
    expect([...firstAndLast].sort()).toEqual(['user.approve → completed', 'user.approve → stopped', 'user.reject → failed', 'user.stop → stopped']);
  });
});

describe('session graph: paths replayed on real actors with the fakes', () => {
  it.each([...finalStates, ...waitingStates])('the shortest path to %s runs with the fakes', async (target) => {
    const path = shortestTo(target);
    const events = path.steps.slice(1).map((s) => s.event);
    const { h, states } = await replay(events);
    expect(states).toEqual(path.steps.map((s) => serialize(s.state)));
    expect(h.snapshot().matches(target as never)).toBe(true);
    if (finalStates.includes(target)) {
      expect(h.snapshot().status).toBe('done');
      // A session that ended takes no more events (xstate warns about each one).
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
      const before = serialize(h.snapshot());
      for (const type of ['user.resume', 'user.approve', 'user.review', 'user.pause'] as const) h.send({ type });
      expect(serialize(h.snapshot())).toBe(before);
      expect(warn).toHaveBeenCalledTimes(4);
      warn.mockRestore();
    }
    expect(h.errors).toEqual([]);
    // The done events really came from the fakes: one settled call per done step.
    expect([...h.workers, ...h.reviews].filter((c) => c.settled)).toHaveLength(events.filter(isDone).length);
  });

  it('the happy path (fewest steps to completed) is plan → review → implement → review → final review', () => {
    expect(shortestTo('completed').steps.map((s) => stateString(s.state.value))).toEqual(['planning.working', 'planning.reviewing', 'implementing.working', 'implementing.reviewing', 'finalReview', 'completed']);
  });

  it('a path to every kind of state the traversal found is reproduced by the real actor', async () => {
    // Paths are replayed for one representative per (state, phase to resume, pause reason, tier, plan, live review, warning, queued decisions):
    // replaying all few thousand abstract states takes ~15 s and finds nothing more.
    const kind = (s: SessionSnapshot) => {
      const k = JSON.parse(serialize(s)) as Record<string, unknown>;
      return JSON.stringify([k.value, k.resumeTo, k.pausedFor, k.tier, k.planned, k.remaining, k.live, k.warned, k.queued]);
    };
    const representatives = new Map<string, (typeof paths)[number]>();
    for (const p of paths) {
      const k = kind(p.state);
      const known = representatives.get(k);
      if (!known || known.steps.length > p.steps.length) representatives.set(k, p);
    }
    expect(representatives.size).toBeGreaterThan(100);
    for (const path of representatives.values()) {
      const { states } = await replay(path.steps.slice(1).map((s) => s.event));
      expect(states, path.steps.map((s) => s.event.type).join(' → ')).toEqual(path.steps.map((s) => serialize(s.state)));
    }
  });
});
