import { assign, createActor, sendTo, setup } from 'xstate';
import { createAgentProcess } from '../actors/agent-process.js';
import { resourceMonitor } from '../actors/resource-monitor.js';
import type { AgentProcessInput, ResourceMonitorEvent } from '../machines/events.js';
import type { AgentProcessEvent } from '../machines/events.js';
import { controlEntryOf, type RunControlEvent } from './run-entries.js';
import type { RunBody, RunContext } from './run-context.js';

type HostEvent = AgentProcessEvent | ResourceMonitorEvent | { type: 'host.stop' };

/**
 * An agent run on this host with the same actors a local session uses: the agent-process actor
 * (sandbox, guard hooks, line limits, failure classification) and, while the agent runs, the
 * resource monitor on its process group (here is the only place it can be measured). A limit
 * crossed is committed as `run.limitExceeded` — the session's worker machine gets the very
 * event its local monitor would send — and the agent is stopped here at once, without waiting
 * for the session to ask (it may be far away, or cut off).
 */
export function startAgentRun(input: AgentProcessInput, ctx: RunContext, continueConversation: boolean): RunBody {
  const identity = { sessionId: input.sessionId, workerId: input.workerId, agent: input.agent, attempt: input.attempt };
  const control = (event: RunControlEvent): boolean => ctx.write([{ ...identity, ...controlEntryOf(event, ctx.host), timestamp: new Date().toISOString() }]);
  const ended = (event: RunControlEvent): void => {
    if (control(event)) ctx.finished();
  };
  const proc = createAgentProcess({
    record: (events, then) => {
      if (ctx.write(events)) then();
    },
    // A takeover continues the agent's own conversation, as a local resume does.
    conversationOf: (i) => (ctx.epoch > 1 || continueConversation ? ctx.store.agentSessionIdOf(i.sessionId, i.workerId, i.attempt, i.agent) : undefined),
  });
  const machine = setup({ types: { context: {} as { pid: number | undefined }, events: {} as HostEvent }, actors: { proc, monitor: resourceMonitor } }).createMachine({
    context: { pid: undefined },
    invoke: { id: 'proc', src: 'proc', input: () => input },
    initial: 'starting',
    on: {
      'host.stop': { actions: sendTo('proc', { type: 'agent.stop' }) },
      'agent.classified': { actions: ({ event }) => control(event) },
      'agent.exited': { target: '.ended', actions: ({ event }) => ended(event) },
      'agent.failed': { target: '.ended', actions: ({ event }) => ended(event) },
    },
    states: {
      starting: {
        on: { 'agent.spawned': { target: 'running', actions: [assign({ pid: ({ event }) => event.pid }), ({ event }) => control(event)] } },
      },
      running: {
        invoke: { src: 'monitor', input: ({ context }) => ({ pid: context.pid, limits: input.limits }) },
        on: { 'worker.limitExceeded': { target: 'limited', actions: [({ event }) => control(event), sendTo('proc', { type: 'agent.stop' })] } },
      },
      limited: {},
      ended: {},
    },
  });
  const actor = createActor(machine);
  actor.start();
  return {
    stop: () => actor.send({ type: 'host.stop' }),
    // Stopping the actor kills the agent's process group without reporting anything.
    kill: () => actor.stop(),
  };
}
