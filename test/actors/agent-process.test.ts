import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assign, createActor, sendTo, setup, toPromise } from 'xstate';
import { agentProcess, type AgentProcessEvent, type AgentProcessInput } from '../../src/actors/agent-process.js';
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
