import { createActor, fromCallback, setup, spawnChild } from 'xstate';
import { describe, expect, it } from 'vitest';
import { Inspector, changeEntry, type ActorChange, type InspectRecord } from '../../src/inspect/live.js';

// A worker-shaped pair of machines under the names orchestrate uses, so records say `machine`.
const worker = setup({ actors: { agentProcess: fromCallback(() => () => undefined) } }).createMachine({
  id: 'worker',
  initial: 'launching',
  states: {
    launching: { entry: spawnChild('agentProcess', { id: 'proc-1' }), on: { 'agent.spawned': 'running' } },
    running: { on: { 'agent.event': {}, 'agent.exited': 'exited' } },
    exited: { type: 'final' },
  },
});
const session = setup({ actors: { worker } }).createMachine({
  id: 'session',
  initial: 'working',
  states: {
    working: { invoke: { id: 'implementer', src: 'worker', onDone: 'done' } },
    done: { type: 'final' },
  },
});

function run(inspector: Inspector): void {
  const actor = createActor(session, { inspect: (e) => inspector.inspect(e) });
  actor.start();
  const implementer = actor.getSnapshot().children.implementer;
  implementer?.send({ type: 'agent.spawned' });
  for (let i = 0; i < 3; i++) implementer?.send({ type: 'agent.event', text: 'the secret prompt text '.repeat(20) });
  implementer?.send({ type: 'agent.exited' });
}

describe('the live inspector', () => {
  it('records each change of an actor state or status once, with its path and cause', () => {
    const changes: ActorChange[] = [];
    run(new Inspector((c) => changes.push(c)));
    expect(changes.map((c) => changeEntry(c).text)).toEqual([
      'session/implementer/proc-1: created → active (xstate.init)',
      'session/implementer: created → launching (xstate.init)',
      'session: created → working (xstate.init)',
      'session/implementer: launching → running (agent.spawned)',
      'session/implementer/proc-1: active → stopped (xstate.stop)',
      // xstate reports the parent's new snapshot before the finished child's last one.
      'session: working → done (xstate.done.actor.implementer)',
      'session/implementer: running → done (agent.exited)',
    ]);
    // Three agent.event: no state change, nothing recorded.
    expect(changes.filter((c) => c.event === 'agent.event')).toHaveLength(0);
    expect(changes[3]).toMatchObject({ actor: 'session/implementer', src: 'worker', machine: 'worker', from: { status: 'active', value: 'launching' }, to: { status: 'active', value: 'running' } });
  });

  it('streams actor, event, transition and snapshot records to subscribers, events redacted unless asked', () => {
    const inspector = new Inspector();
    const redacted: InspectRecord[] = [];
    const full: InspectRecord[] = [];
    inspector.subscribe((r) => redacted.push(r));
    inspector.subscribe((r) => full.push(r), { mode: 'full' });
    run(inspector);
    expect(new Set(redacted.map((r) => r.type))).toEqual(new Set(['inspect.actor', 'inspect.event', 'inspect.transition', 'inspect.snapshot']));
    expect(redacted.find((r) => r.type === 'inspect.actor' && r.actor === 'session/implementer')).toMatchObject({ src: 'worker', machine: 'worker' });
    const spawned = redacted.find((r) => r.type === 'inspect.transition' && (r.event as { type: string }).type === 'agent.spawned');
    expect(spawned).toMatchObject({ actor: 'session/implementer', transitions: [{ source: 'worker.launching', targets: ['worker.running'] }] });
    const events = redacted.filter((r) => r.type === 'inspect.event' && (r.event as { type: string }).type === 'agent.event');
    expect(events).toHaveLength(3);
    expect(JSON.stringify(events)).not.toContain('secret prompt');
    expect(JSON.stringify(full)).toContain('secret prompt');
    expect(redacted.map((r) => r.n)).toEqual(redacted.map((_, i) => i + 1));
  });

  it('a late subscriber gets the recent records after `since`, then live ones; none are kept while nobody listens', () => {
    const inspector = new Inspector();
    run(inspector);
    const none: InspectRecord[] = [];
    inspector.subscribe((r) => none.push(r));
    expect(none).toHaveLength(0);
    const first: InspectRecord[] = [];
    const stop = inspector.subscribe((r) => first.push(r));
    run(inspector);
    stop();
    const late: InspectRecord[] = [];
    inspector.subscribe((r) => late.push(r), { since: 5 });
    expect(late[0]?.n).toBe(6);
    expect(late.length).toBe(first.length - 5);
  });
});
