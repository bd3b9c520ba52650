import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assign, createActor, sendTo, setup, toPromise } from 'xstate';
import { agentProcess, createAgentProcess, type AgentProcessEvent, type AgentProcessInput } from '../../src/actors/agent-process.js';
import type { AgentEventInput } from '../../src/protocol/index.js';
import { fakeCommand, isAlive, tempDir } from '../helpers/fake-agents.js';

/** A minimal parent, just enough to watch what the actor sends back. */
const harness = setup({
  types: {
    context: {} as { seen: AgentProcessEvent[]; input: AgentProcessInput },
    events: {} as AgentProcessEvent | { type: 'stop' },
    input: {} as AgentProcessInput,
  },
  actors: { agentProcess },
  actions: {
    record: assign({ seen: ({ context, event }) => [...context.seen, event as AgentProcessEvent] }),
  },
}).createMachine({
  context: ({ input }) => ({ seen: [], input }),
  initial: 'running',
  states: {
    running: {
      invoke: { id: 'proc', src: 'agentProcess', input: ({ context }) => context.input },
      on: {
        'agent.spawned': { actions: 'record' },
        'agent.events': { actions: 'record' },
        'agent.failed': { target: 'done', actions: 'record' },
        'agent.exited': { target: 'done', actions: 'record' },
        stop: { actions: sendTo('proc', { type: 'agent.stop' }) },
      },
    },
    done: { type: 'final' },
  },
});

function input(env: Record<string, string>): AgentProcessInput {
  const dir = tempDir();
  return {
    sessionId: 's1',
    workerId: 'reviewer',
    agent: 'codex',
    adapter: 'codex',
    attempt: 1,
    sessionDir: join(dir, 's1'),
    request: { role: 'reviewer', mode: 'work', prompt: 'Do two steps', cwd: dir, workspace: dir, extraDirs: [], command: fakeCommand('codex'), env },
  };
}

describe('agentProcess actor', () => {
  it('sends spawned, every event and the exit back to its parent', async () => {
    const actor = createActor(harness, { input: input({ FAKE_SCENARIO: 'multi' }) });
    actor.start();
    await toPromise(actor);
    const seen = actor.getSnapshot().context.seen;
    expect(seen[0]?.type).toBe('agent.spawned');
    expect(seen.at(-1)).toMatchObject({ type: 'agent.exited', exitCode: 0, signal: null, stoppedByRequest: false });
    const kinds = seen.flatMap((e) => (e.type === 'agent.events' ? e.events.map((x) => x.payload.kind) : []));
    expect(kinds.filter((k) => k === 'tool.call')).toHaveLength(2);
    expect(kinds).toContain('run.completed');
  });

  it('hands the events one commit lands to the machine as one agent.events, before the exit', async () => {
    // A log that commits whatever was recorded every 150 ms, in one go (as a batch on the writer thread lands).
    let waiting: (() => void)[] = [];
    let recorded: AgentEventInput[] = [];
    const timer = setInterval(() => {
      for (const fn of waiting.splice(0)) fn();
    }, 150);
    const deps = {
      record: (events: AgentEventInput[], then: () => void) => {
        recorded.push(...events);
        waiting.push(then);
      },
      afterCommit: (then: () => void) => (waiting.length > 0 ? waiting.push(then) : then()),
    };
    const actor = createActor(harness.provide({ actors: { agentProcess: createAgentProcess(deps) } }), { input: input({ FAKE_SCENARIO: 'multi', FAKE_DELAY_MS: '20' }) });
    actor.start();
    await toPromise(actor);
    clearInterval(timer);
    const seen = actor.getSnapshot().context.seen;
    const batches = seen.filter((e) => e.type === 'agent.events');
    // Every event once, in order, in fewer steps than chunks (each line came as its own chunk).
    expect(batches.flatMap((e) => e.events)).toEqual(recorded);
    expect(batches.length).toBeLessThan(recorded.length);
    expect(seen.at(-1)?.type).toBe('agent.exited');
    recorded = [];
    waiting = [];
  });

  it('stops the agent on agent.stop', async () => {
    const actor = createActor(harness, { input: input({ FAKE_SCENARIO: 'multi', FAKE_BEHAVIOR: 'hang' }) });
    actor.start();
    while (!actor.getSnapshot().context.seen.some((e) => e.type === 'agent.events')) await new Promise((r) => setTimeout(r, 20));
    actor.send({ type: 'stop' });
    await toPromise(actor);
    expect(actor.getSnapshot().context.seen.at(-1)).toMatchObject({ type: 'agent.exited', stoppedByRequest: true, signal: 'SIGTERM' });
  });

  it('kills the whole process group when the parent is stopped', async () => {
    const pidFile = join(tempDir(), 'child.pid');
    const actor = createActor(harness, {
      input: input({ FAKE_SCENARIO: 'multi', FAKE_BEHAVIOR: 'fork', FAKE_CHILD_PID_FILE: pidFile }),
    });
    actor.start();
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8') === '') await new Promise((r) => setTimeout(r, 20));
    const spawned = actor.getSnapshot().context.seen.find((e) => e.type === 'agent.spawned');
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    actor.stop();
    const deadline = Date.now() + 5000;
    while ((isAlive(grandchild) || (spawned?.type === 'agent.spawned' && isAlive(spawned.pid))) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(isAlive(grandchild)).toBe(false);
  });
});
