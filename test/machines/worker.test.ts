import { describe, expect, it } from 'vitest';
import { getInitialMicrosteps, initialTransition, transition } from 'xstate';
import type { AgentProcessEvent } from '../../src/machines/events.js';
import { workerMachine, type WorkerContext } from '../../src/machines/worker.js';
import { AgentEventInput, type Usage } from '../../src/protocol/index.js';
import { agentEvent, baseRequest, classified, ev, exited, failedToLaunch, outsideWorkspace, spawned, stamp, WORKER } from './helpers/fake-agent.js';
import { MINUTE, startWorker, workerInput } from './helpers/worker-harness.js';

const usage = (inputTokens: number, outputTokens: number, extra: Partial<Usage> = {}): Usage => ({ inputTokens, outputTokens, cachedTokens: 0, ...extra });

describe('worker: a run from launch to exit', () => {
  it('starts in idle, which launches at once (idle is transient)', () => {
    const steps = getInitialMicrosteps(workerMachine, workerInput());
    expect(steps.map(([s]) => s.value)).toEqual(['idle', 'launching']);
    const [snapshot, actions] = initialTransition(workerMachine, workerInput());
    expect(snapshot.value).toBe('launching');
    expect(snapshot.context).toMatchObject({ attempt: 1, status: 'launching', recoveries: 0, progress: 0 });
    expect(actions.map((a) => a.type)).toEqual(['xstate.spawnChild']);
  });

  it('happy path: launching → running → exited, output carries finalText, structured, usage and agentSessionId', () => {
    const h = startWorker({
      scripts: {
        1: () => [
          spawned(1, 4242),
          ev(1, 'status', { kind: 'session.started', text: 'session started', agentSessionId: 'agent-sess-1', model: 'opus' }),
          ev(1, 'task', { text: 'Write the parser' }),
          ev(1, 'progress', { text: 'halfway', progress: 40 }, { usage: usage(100, 20, { costUsd: 0.01 }) }),
          ev(1, 'milestone', { text: 'parser written', progress: 80 }),
          ev(1, 'status', { kind: 'run.completed', text: 'All done.', structured: { files: ['src/parser.ts'] } }, { usage: usage(50, 10, { cachedTokens: 30, costUsd: 0.02 }) }),
          exited(1, { exitCode: 0 }),
        ],
      },
    });

    expect(h.states).toEqual(['launching', 'running', 'exited']);
    expect(h.agents.runs).toHaveLength(1);
    expect(h.agents.run(1).input).toEqual({
      sessionId: 's1',
      workerId: WORKER,
      agent: 'claude',
      adapter: 'claude',
      attempt: 1,
      request: baseRequest,
      sessionDir: '/ws/s1',
    });
    expect(h.parent.getSnapshot().value).toBe('done');
    const output = h.output();
    expect(output).toMatchObject({
      workerId: WORKER,
      status: 'exited',
      exitCode: 0,
      finalText: 'All done.',
      structured: { files: ['src/parser.ts'] },
      agentSessionId: 'agent-sess-1',
      usage: { inputTokens: 150, outputTokens: 30, cachedTokens: 30 },
    });
    expect(output?.usage.costUsd).toBeCloseTo(0.03);
    expect(output?.escalation).toBeUndefined();
    expect(output?.classification).toBeUndefined();
    expect(h.notices('worker.recovery')).toEqual([]);
  });

  it('tracks pid, progress, current task and the last event time while running', () => {
    const last = stamp();
    const h = startWorker({
      scripts: { 1: () => [spawned(1, 777), ev(1, 'task', { text: 'Refactor io' }), ev(1, 'progress', { text: 'p', progress: 30 }, { timestamp: last })] },
    });
    expect(h.snapshot().value).toBe('running');
    expect(h.snapshot().context).toMatchObject({ status: 'running', pid: 777, progress: 30, currentTask: 'Refactor io', lastEventAt: last });
  });

  it('usage without cost stays without cost (absent means not reported)', () => {
    const h = startWorker({ scripts: { 1: () => [spawned(1), ev(1, 'progress', { text: 'p' }, { usage: usage(5, 6) }), exited(1)] } });
    expect(h.output()?.usage).toEqual({ inputTokens: 5, outputTokens: 6, cachedTokens: 0 });
  });

  it('a failing exit ends in failed, with the exit code and no recovery', () => {
    const h = startWorker({ scripts: { 1: () => [spawned(1), ev(1, 'error', { text: 'boom' }), exited(1, { exitCode: 2, stderrTail: 'boom' })] } });
    expect(h.states).toEqual(['launching', 'running', 'failed']);
    expect(h.output()).toMatchObject({ status: 'failed', exitCode: 2 });
    expect(h.output()?.escalation).toBeUndefined();
    expect(h.notices('worker.recovery')).toEqual([]);
  });

  it('an exit by signal is a failure too', () => {
    const h = startWorker({ scripts: { 1: () => [spawned(1), exited(1, { exitCode: null, signal: 'SIGKILL' })] } });
    expect(h.output()).toMatchObject({ status: 'failed', exitCode: null });
  });

  it('an agent that cannot be launched (agent.failed) ends in failed with the reason', () => {
    const h = startWorker({ scripts: { 1: () => [failedToLaunch(1, 'spawn claude ENOENT')] } });
    expect(h.states).toEqual(['launching', 'failed']);
    expect(h.output()).toMatchObject({ status: 'failed', exitCode: null, failure: 'spawn claude ENOENT' });
  });

  it('an agent that exits before reporting spawned is still handled', () => {
    const h = startWorker({ scripts: { 1: () => [exited(1, { exitCode: 0 })] } });
    expect(h.states).toEqual(['launching', 'exited']);
    expect(h.output()?.status).toBe('exited');
  });

  it('a recognised failure with no recovery left ends in failed and reports the classification', () => {
    const c = outsideWorkspace();
    const h = startWorker({ input: { maxRecoveryAttempts: 0 }, scripts: { 1: () => [spawned(1), exited(1, { exitCode: 1, classification: c })] } });
    expect(h.states).toEqual(['launching', 'running', 'failed']);
    expect(h.output()).toMatchObject({ status: 'failed', exitCode: 1, classification: c });
    expect(h.agents.runs).toHaveLength(1);
    expect(h.notices('worker.recovery')).toEqual([]);
  });
});

describe('worker: stopping', () => {
  it('worker.stop while running: stopping → asks the process to stop → stopped', () => {
    const h = startWorker({ onStop: 'ignore', scripts: { 1: () => [spawned(1), ev(1, 'status', { text: 'working' })] } });
    h.send({ type: 'worker.stop' });
    expect(h.snapshot().value).toBe('stopping');
    expect(h.snapshot().context.status).toBe('stopped');
    expect(h.agents.run(1).stopRequests).toBe(1);
    // Nothing but the exit of the current attempt ends the stop.
    h.agents.run(1).send(ev(1, 'milestone', { text: 'late milestone' }));
    h.agents.run(1).send(exited(99, { stoppedByRequest: true }));
    expect(h.snapshot().value).toBe('stopping');
    h.agents.run(1).send(exited(1, { exitCode: null, signal: 'SIGTERM', stoppedByRequest: true }));
    expect(h.states).toEqual(['launching', 'running', 'stopping', 'stopped']);
    expect(h.output()).toMatchObject({ status: 'stopped', exitCode: null });
  });

  it('a process that fails while being stopped still ends the stop', () => {
    const h = startWorker({ onStop: 'ignore', scripts: { 1: () => [spawned(1)] } });
    h.send({ type: 'worker.stop' });
    h.agents.run(1).send(failedToLaunch(1, 'lost the log pipe'));
    expect(h.output()).toMatchObject({ status: 'stopped', failure: 'lost the log pipe' });
  });

  it('worker.stop while launching stops the process being launched', () => {
    const h = startWorker();
    expect(h.snapshot().value).toBe('launching');
    h.send({ type: 'worker.stop' });
    expect(h.agents.run(1).stopRequests).toBe(1);
    expect(h.output()).toMatchObject({ status: 'stopped' });
    expect(h.states).toEqual(['launching', 'stopping', 'stopped']);
  });

  it('an exit the agent reports as stopped by request ends in stopped, not failed', () => {
    const h = startWorker({ scripts: { 1: () => [spawned(1), exited(1, { exitCode: null, signal: 'SIGTERM', stoppedByRequest: true })] } });
    expect(h.output()).toMatchObject({ status: 'stopped' });
  });

  it('a resource limit stops the agent and records why', () => {
    const h = startWorker({ scripts: { 1: () => [spawned(1)] } });
    h.send({ type: 'worker.limitExceeded', limit: 'memory', detail: 'rss 2.3 GB > 2 GB' });
    expect(h.agents.run(1).stopRequests).toBe(1);
    expect(h.output()).toMatchObject({ status: 'stopped', failure: 'memory limit exceeded: rss 2.3 GB > 2 GB' });
  });

  it('the process actor is torn down when the worker ends', () => {
    const h = startWorker({ scripts: { 1: () => [spawned(1), exited(1)] } });
    expect(h.output()?.status).toBe('exited');
    expect(h.agents.run(1).torndown).toBe(true);
  });
});

describe('worker: what reaches the parent', () => {
  it('forwards only milestone, blocker, review, review requests and usage; the rest only goes to the log', () => {
    const forwarded: AgentProcessEvent[] = [
      ev(1, 'milestone', { text: 'm1' }),
      ev(1, 'blocker', { text: 'stuck on auth' }),
      ev(1, 'review', { text: 'please review' }),
      ev(1, 'status', { text: 'review me', reviewRequested: true }),
      ev(1, 'progress', { text: 'tokens' }, { usage: usage(1, 1) }),
    ];
    const quiet: AgentProcessEvent[] = [
      ev(1, 'status', { text: 's' }),
      ev(1, 'progress', { text: 'p', progress: 10 }),
      ev(1, 'finding', { text: 'f' }),
      ev(1, 'task', { text: 't' }),
      ev(1, 'error', { text: 'e' }),
      ev(1, 'status', { text: 'not a request', reviewRequested: false }),
    ];
    const h = startWorker({ scripts: { 1: () => [spawned(1), quiet[0]!, forwarded[0]!, quiet[1]!, forwarded[1]!, quiet[2]!, forwarded[2]!, quiet[3]!, forwarded[3]!, quiet[4]!, forwarded[4]!, quiet[5]!] } });
    const notices = h.notices('worker.event');
    expect(notices.map((n) => n.event)).toEqual(forwarded.map((e) => (e.type === 'agent.events' ? e.events[0] : undefined)));
    for (const n of notices) {
      expect(n.workerId).toBe(WORKER);
      expect(() => AgentEventInput.parse(n.event)).not.toThrow();
    }
    // Nothing else was sent: no silence, no recovery.
    expect(h.seen().map((e) => e.type)).toEqual(notices.map(() => 'worker.event'));
  });

  it('a batch with events for the session forwards just those, in order, and re-arms the silence timer too', () => {
    const batch = [
      agentEvent(1, 'status', { text: 'quiet' }),
      agentEvent(1, 'milestone', { text: 'first' }),
      agentEvent(1, 'progress', { text: 'quiet', progress: 40 }),
      agentEvent(1, 'progress', { text: 'tokens' }, { usage: usage(3, 4) }),
    ];
    const h = startWorker({ scripts: { 1: () => [spawned(1)] } });
    h.clock.increment(10 * MINUTE);
    h.agents.run(1).send({ type: 'agent.events', workerId: WORKER, attempt: 1, events: batch });
    expect(h.notices('worker.event').map((n) => n.event)).toEqual([batch[1], batch[3]]);
    expect(h.snapshot().context).toMatchObject({ progress: 40, usage: usage(3, 4) });
    h.clock.increment(10 * MINUTE);
    expect(h.notices('worker.silent')).toEqual([]);
  });

  it('forwards events while launching too (before agent.spawned)', () => {
    const h = startWorker({ scripts: { 1: () => [ev(1, 'milestone', { text: 'early' })] } });
    expect(h.snapshot().value).toBe('launching');
    expect(h.notices('worker.event')).toHaveLength(1);
  });

  it('ignores events, exits and classifications of another attempt', () => {
    const h = startWorker({ scripts: { 1: () => [spawned(1)] } });
    const run = h.agents.run(1);
    run.send(ev(2, 'milestone', { text: 'from a future attempt' }));
    run.send(classified(2, outsideWorkspace()));
    run.send(exited(2, { exitCode: 1 }));
    run.send({ ...failedToLaunch(2) });
    expect(h.snapshot().value).toBe('running');
    expect(h.seen()).toEqual([]);
  });
});

describe('worker: guards in single steps (pure transition)', () => {
  const atAttempt = (attempt: number, value: 'launching' | 'running') => {
    const context: WorkerContext = { ...workerInput(), attempt, status: value, progress: 0, usage: usage(0, 0), recoveries: attempt - 1 };
    return workerMachine.resolveState({ value, context });
  };

  it('an event of an older attempt changes nothing and does nothing', () => {
    const before = atAttempt(2, 'running');
    for (const event of [
      ev(1, 'milestone', { text: 'stale' }),
      ev(1, 'status', { text: 'stale', progress: 99, agentSessionId: 'old' }),
      exited(1, { exitCode: 0 }),
      exited(1, { exitCode: 1, classification: outsideWorkspace() }),
      classified(1, outsideWorkspace()),
      failedToLaunch(1),
    ]) {
      const [after, actions] = transition(workerMachine, before, event);
      expect(after.value).toBe('running');
      expect(after.context).toEqual(before.context);
      expect(actions).toEqual([]);
    }
  });

  it('agent.spawned of an older attempt does not move launching to running', () => {
    const [after, actions] = transition(workerMachine, atAttempt(2, 'launching'), spawned(1));
    expect(after.value).toBe('launching');
    expect(actions).toEqual([]);
  });

  it('an event of the current attempt is absorbed and re-arms the silence timer', () => {
    const e = agentEvent(2, 'status', { text: 'alive', progress: 55, agentSessionId: 'sess-2' });
    const [after, actions] = transition(workerMachine, atAttempt(2, 'running'), { type: 'agent.events', workerId: e.workerId, attempt: e.attempt, events: [e] });
    expect(after.context).toMatchObject({ progress: 55, agentSessionId: 'sess-2', lastEventAt: e.timestamp });
    expect(actions.map((a) => a.type)).toEqual(['xstate.cancel', 'xstate.raise']);
    expect(actions[1]?.params).toMatchObject({ event: { type: 'worker.silenceCheck' }, id: 'silence', delay: 15 * MINUTE });
  });

  it('a clean exit of the current attempt is final', () => {
    const [after] = transition(workerMachine, atAttempt(2, 'running'), exited(2, { exitCode: 0 }));
    expect(after.value).toBe('exited');
    expect(after.status).toBe('done');
    expect(after.output).toMatchObject({ status: 'exited', exitCode: 0 });
  });
});

describe('worker: silence fallback (simulated time)', () => {
  const SILENCE = 15 * MINUTE;

  it('sends worker.silent after silenceMs without events, not before', () => {
    const h = startWorker({ scripts: { 1: () => [spawned(1)] } });
    h.clock.increment(SILENCE - 1);
    expect(h.notices('worker.silent')).toEqual([]);
    h.clock.increment(1);
    expect(h.notices('worker.silent')).toEqual([{ type: 'worker.silent', workerId: WORKER, lastEventAt: undefined }]);
    expect(h.snapshot().value).toBe('running');
  });

  it('keeps reminding every silenceMs while the agent stays silent', () => {
    const h = startWorker({ scripts: { 1: () => [spawned(1)] } });
    h.clock.increment(SILENCE);
    h.clock.increment(SILENCE - 1);
    expect(h.notices('worker.silent')).toHaveLength(1);
    h.clock.increment(1);
    expect(h.notices('worker.silent')).toHaveLength(2);
  });

  it('each event of the current attempt re-arms the timer', () => {
    const h = startWorker({ scripts: { 1: () => [spawned(1)] } });
    h.clock.increment(10 * MINUTE);
    const at = stamp();
    h.agents.run(1).send(ev(1, 'status', { text: 'still here' }, { timestamp: at }));
    h.clock.increment(SILENCE - 1); // 24:59.999 after spawn, 14:59.999 after the event
    expect(h.notices('worker.silent')).toEqual([]);
    h.clock.increment(1);
    expect(h.notices('worker.silent')).toEqual([{ type: 'worker.silent', workerId: WORKER, lastEventAt: at }]);
  });

  it('events of another attempt do not re-arm it', () => {
    const h = startWorker({ scripts: { 1: () => [spawned(1)] } });
    h.clock.increment(10 * MINUTE);
    h.agents.run(1).send(ev(7, 'status', { text: 'stale' }));
    h.clock.increment(5 * MINUTE);
    expect(h.notices('worker.silent')).toHaveLength(1);
  });

  it('is not armed before the agent is spawned', () => {
    const h = startWorker();
    h.clock.increment(10 * SILENCE);
    expect(h.notices('worker.silent')).toEqual([]);
    h.agents.run(1).send(spawned(1));
    h.clock.increment(SILENCE);
    expect(h.notices('worker.silent')).toHaveLength(1);
  });

  it('does not fire once the worker has ended or while it stops', () => {
    const ended = startWorker({ scripts: { 1: () => [spawned(1), exited(1)] } });
    ended.clock.increment(10 * SILENCE);
    expect(ended.seen().filter((e) => e.type === 'worker.silent')).toEqual([]);

    const stopping = startWorker({ onStop: 'ignore', scripts: { 1: () => [spawned(1)] } });
    stopping.send({ type: 'worker.stop' });
    stopping.clock.increment(10 * SILENCE);
    expect(stopping.notices('worker.silent')).toEqual([]);
  });

  it('uses the configured silenceMs', () => {
    const h = startWorker({ input: { silenceMs: 1_000 }, scripts: { 1: () => [spawned(1)] } });
    h.clock.increment(999);
    expect(h.notices('worker.silent')).toEqual([]);
    h.clock.increment(1);
    expect(h.notices('worker.silent')).toHaveLength(1);
  });
});
