import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, initialTransition, SimulatedClock } from 'xstate';
import type { Classification } from '../../src/machines/events.js';
import { recoveryMachine, type RecoveryInput, type RecoveryRequest } from '../../src/machines/recovery.js';
import type { WorkerNotice } from '../../src/machines/worker.js';
import { AGENT, classified, ev, exited, failedToLaunch, outsideWorkspace, permissionDenied, spawned, WORKER } from './helpers/fake-agent.js';
import { childOf, recordingParent, sent, settle } from './helpers/recording-parent.js';
import { MINUTE, startWorker, type WorkerHarness } from './helpers/worker-harness.js';

const VERIFY = 5 * MINUTE;

function recoveryInput(classification: Classification, overrides: Partial<RecoveryInput> = {}): RecoveryInput {
  return { workerId: WORKER, agent: 'claude', classification, attempt: 1, previousRecoveries: 0, maxAttempts: 2, pid: 4001, verifyTimeoutMs: VERIFY, ...overrides };
}

/** The recovery machine alone, under a parent that records its requests. */
function startRecovery(input: RecoveryInput, groupExit: 'resolve' | 'reject' | 'never' = 'resolve') {
  const waits: { pid?: number | undefined }[] = [];
  const logic = recoveryMachine.provide({
    actors: {
      awaitGroupExit: fromPromise<void, { pid?: number | undefined }>(({ input: waitInput }) => {
        waits.push(waitInput);
        if (groupExit === 'reject') return Promise.reject(new Error('no such process group'));
        if (groupExit === 'never') return new Promise<void>(() => undefined);
        return Promise.resolve();
      }),
    },
  });
  const clock = new SimulatedClock();
  const parent = createActor(recordingParent(logic), { clock, input });
  parent.start();
  const child = () => childOf(parent, logic);
  return {
    parent,
    clock,
    waits,
    relaunches: () => sent<RecoveryRequest, 'recovery.relaunch'>(parent.getSnapshot().context.seen, 'recovery.relaunch'),
    value: () => child()?.getSnapshot().value,
    send: (event: Parameters<NonNullable<ReturnType<typeof child>>['send']>[0]) => child()?.send(event),
    output: () => parent.getSnapshot().context.output,
  };
}

describe('recovery machine alone', () => {
  it('classifying → stopping (waits for the failed group) → relaunching → verifying → recovered', async () => {
    const c = outsideWorkspace();
    const r = startRecovery(recoveryInput(c));
    expect(r.waits).toEqual([{ pid: 4001 }]);
    await settle();
    expect(r.value()).toBe('relaunching');
    expect(r.relaunches()).toEqual([{ type: 'recovery.relaunch', request: c.remedy.action === 'relaunch' ? c.remedy.request : undefined, change: '--add-dir /srv/data' }]);
    r.send({ type: 'worker.spawned', attempt: 2 });
    expect(r.value()).toBe('verifying');
    r.send({ type: 'worker.progressed' });
    expect(r.output()).toEqual({ outcome: 'recovered', kind: 'path_outside_workspace', evidence: c.evidence, change: '--add-dir /srv/data', suggestions: [], attempts: 1 });
  });

  it('a group that cannot be observed counts as gone', async () => {
    const r = startRecovery(recoveryInput(outsideWorkspace()), 'reject');
    await settle();
    expect(r.value()).toBe('relaunching');
    expect(r.relaunches()).toHaveLength(1);
  });

  it('does not relaunch before the failed group has exited', async () => {
    const r = startRecovery(recoveryInput(outsideWorkspace()), 'never');
    await settle();
    expect(r.value()).toBe('stopping');
    expect(r.relaunches()).toEqual([]);
  });

  it('an escalate remedy escalates at once with its suggestions: no wait, no relaunch', () => {
    const c = permissionDenied();
    const r = startRecovery(recoveryInput(c));
    expect(r.waits).toEqual([]);
    expect(r.relaunches()).toEqual([]);
    expect(r.output()).toEqual({
      outcome: 'escalated',
      kind: 'permission_denied',
      evidence: c.evidence,
      suggestions: ['Grant write access to /repo/secret.pem', 'Or exclude the file from the task'],
      attempts: 0,
    });
  });

  it('with the bound already used up by earlier recoveries it escalates without relaunching', () => {
    const r = startRecovery(recoveryInput(outsideWorkspace(), { previousRecoveries: 2, maxAttempts: 2 }));
    expect(r.relaunches()).toEqual([]);
    expect(r.output()).toMatchObject({ outcome: 'escalated', attempts: 0, change: '--add-dir /srv/data' });
    expect(r.output()?.suggestions).toEqual(['The corrected launch (--add-dir /srv/data) did not help.', 'Gave up after 2 recovery attempt(s).']);
  });

  it('pure first step: a relaunch remedy goes to stopping and counts the attempt; an escalate remedy is done', () => {
    const [relaunch] = initialTransition(recoveryMachine, recoveryInput(outsideWorkspace()));
    expect(relaunch.value).toBe('stopping');
    expect(relaunch.context.attempts).toBe(1);
    const [escalate] = initialTransition(recoveryMachine, recoveryInput(permissionDenied()));
    expect(escalate.status).toBe('done');
    expect(escalate.output).toMatchObject({ outcome: 'escalated', attempts: 0 });
  });

  it('escalates when the relaunched agent shows no progress within verifyTimeoutMs (simulated time)', async () => {
    const r = startRecovery(recoveryInput(outsideWorkspace(), { maxAttempts: 3 }));
    await settle();
    r.send({ type: 'worker.spawned', attempt: 2 });
    r.clock.increment(VERIFY - 1);
    expect(r.value()).toBe('verifying');
    r.clock.increment(1);
    expect(r.output()).toMatchObject({ outcome: 'escalated', attempts: 1 });
    expect(r.output()?.suggestions).toEqual([
      'The corrected launch (--add-dir /srv/data) did not help.',
      'Last failure: the relaunched agent did not report progress in time',
    ]);
  });

  it('progress after the timer was armed but before it fired still counts', async () => {
    const r = startRecovery(recoveryInput(outsideWorkspace()));
    await settle();
    r.send({ type: 'worker.spawned', attempt: 2 });
    r.clock.increment(VERIFY - 1);
    r.send({ type: 'worker.progressed' });
    r.clock.increment(VERIFY);
    expect(r.output()?.outcome).toBe('recovered');
  });

  it('a relaunch that fails again is retried with the new classification, then escalated after maxAttempts', async () => {
    const first = outsideWorkspace('/srv/a');
    const second = outsideWorkspace('/srv/b');
    const r = startRecovery(recoveryInput(first, { maxAttempts: 2 }));
    await settle();
    r.send({ type: 'worker.spawned', attempt: 2 });
    r.send({ type: 'worker.failedAgain', classification: second, reason: second.evidence });
    await settle();
    expect(r.relaunches().map((x) => x.change)).toEqual(['--add-dir /srv/a', '--add-dir /srv/b']);
    expect(r.relaunches()[1]?.request).toEqual(second.remedy.action === 'relaunch' ? second.remedy.request : undefined);
    r.send({ type: 'worker.spawned', attempt: 3 });
    r.send({ type: 'worker.failedAgain', reason: 'exit code 1' });
    await settle();
    expect(r.relaunches()).toHaveLength(2);
    expect(r.waits).toHaveLength(2);
    expect(r.output()).toEqual({
      outcome: 'escalated',
      kind: 'path_outside_workspace',
      // Without a new classification the last one stays.
      evidence: second.evidence,
      change: '--add-dir /srv/b',
      suggestions: ['The corrected launch (--add-dir /srv/b) did not help.', 'Gave up after 2 recovery attempt(s).', 'Last failure: exit code 1'],
      attempts: 2,
    });
  });

  it('a relaunch that fails with a failure needing the user escalates with that failure’s suggestions', async () => {
    const r = startRecovery(recoveryInput(outsideWorkspace(), { maxAttempts: 5 }));
    await settle();
    r.send({ type: 'worker.spawned', attempt: 2 });
    const denied = permissionDenied();
    r.send({ type: 'worker.failedAgain', classification: denied, reason: denied.evidence });
    expect(r.relaunches()).toHaveLength(1);
    expect(r.output()).toMatchObject({ outcome: 'escalated', kind: 'permission_denied', attempts: 1 });
    expect(r.output()?.suggestions).toEqual([...(denied.remedy.action === 'escalate' ? denied.remedy.suggestions : []), `Last failure: ${denied.evidence}`]);
  });

  it('a relaunch that fails before it is spawned goes back to classifying', async () => {
    const r = startRecovery(recoveryInput(outsideWorkspace(), { maxAttempts: 1 }));
    await settle();
    expect(r.value()).toBe('relaunching');
    r.send({ type: 'worker.failedAgain', reason: 'spawn claude ENOENT' });
    expect(r.output()).toMatchObject({ outcome: 'escalated', attempts: 1 });
    expect(r.output()?.suggestions).toContain('Last failure: spawn claude ENOENT');
  });

  it('is bounded: endless failures give exactly maxAttempts relaunches', async () => {
    for (const maxAttempts of [1, 2, 3, 5]) {
      const r = startRecovery(recoveryInput(outsideWorkspace(), { maxAttempts }));
      for (let i = 0; i < 20 && r.output() === undefined; i++) {
        await settle();
        r.send({ type: 'worker.spawned', attempt: i + 2 });
        r.send({ type: 'worker.failedAgain', classification: outsideWorkspace(), reason: `failure ${i}` });
      }
      expect(r.relaunches()).toHaveLength(maxAttempts);
      expect(r.output()).toMatchObject({ outcome: 'escalated', attempts: maxAttempts });
      expect(r.output()?.suggestions).toContain(`Gave up after ${maxAttempts} recovery attempt(s).`);
    }
  });
});

/** Notices of recovery the worker sent to its parent. */
const recoveryNotices = (h: WorkerHarness) => h.notices('worker.recovery');

describe('worker with recovery', () => {
  it('mid-run classification with a relaunch remedy: recovering → old process stopped → relaunch (attempt 2, corrected request) → recovered → running → exited', async () => {
    const c = outsideWorkspace();
    const corrected = c.remedy.action === 'relaunch' ? c.remedy.request : undefined;
    const h = startWorker({
      scripts: {
        1: () => [spawned(1, 4001), ev(1, 'status', { text: 'reading files' })],
        2: () => [spawned(2, 4002), ev(2, 'error', { text: 'transient warning' })],
      },
    });
    expect(h.snapshot().value).toBe('running');

    h.agents.run(1).send(classified(1, c));
    expect(h.snapshot().value).toBe('recovering');
    expect(h.snapshot().context.status).toBe('recovering');
    // The failed run is stopped by the worker and its group awaited before the relaunch.
    expect(h.agents.run(1).torndown).toBe(true);
    expect(h.groupWaits).toEqual([{ pid: 4001 }]);
    expect(recoveryNotices(h)).toEqual([
      { type: 'worker.recovery', workerId: WORKER, agent: AGENT, phase: 'started', kind: 'path_outside_workspace', evidence: c.evidence, change: '--add-dir /srv/data', suggestions: [], attempt: 1 },
    ]);

    await settle();
    expect(h.agents.runs.map((r) => r.input.attempt)).toEqual([1, 2]);
    expect(h.agents.run(2).input.request).toEqual(corrected);
    expect(h.snapshot().context).toMatchObject({ attempt: 2, recoveries: 1, request: corrected, pid: 4002 });
    expect(recoveryNotices(h)[1]).toEqual({
      type: 'worker.recovery',
      workerId: WORKER,
      agent: AGENT,
      phase: 'relaunched',
      kind: 'path_outside_workspace',
      evidence: c.evidence,
      change: '--add-dir /srv/data',
      suggestions: [],
      attempt: 2,
    });
    // An error event is no proof that the corrected launch works.
    expect(h.snapshot().value).toBe('recovering');

    h.agents.run(2).send(ev(2, 'status', { text: 'working again' }));
    expect(h.snapshot().value).toBe('running');
    expect(recoveryNotices(h)[2]).toEqual({
      type: 'worker.recovery',
      workerId: WORKER,
      agent: AGENT,
      phase: 'ended',
      kind: 'path_outside_workspace',
      evidence: c.evidence,
      change: '--add-dir /srv/data',
      outcome: 'recovered',
      suggestions: [],
      attempt: 2,
    });

    // The old attempt is ignored from now on.
    h.agents.run(1).send(ev(1, 'milestone', { text: 'stale' }));
    h.agents.run(1).send(exited(1, { exitCode: 1 }));
    expect(h.snapshot().value).toBe('running');
    expect(h.notices('worker.event')).toEqual([]);

    h.agents.run(2).send(ev(2, 'status', { kind: 'run.completed', text: 'done after recovery' }));
    h.agents.run(2).send(exited(2, { exitCode: 0 }));
    expect(h.states).toEqual(['launching', 'running', 'recovering', 'running', 'exited']);
    expect(h.output()).toMatchObject({ status: 'exited', exitCode: 0, finalText: 'done after recovery' });
    expect(h.output()?.escalation).toBeUndefined();
    expect(h.agents.runs).toHaveLength(2);
  });

  it('the silence timer is off while recovering and re-armed once recovered', async () => {
    const h = startWorker({ input: { verifyTimeoutMs: 100 * MINUTE }, scripts: { 1: () => [spawned(1)], 2: () => [spawned(2)] } });
    h.agents.run(1).send(classified(1, outsideWorkspace()));
    await settle();
    h.clock.increment(60 * MINUTE);
    expect(h.notices('worker.silent')).toEqual([]);
    h.agents.run(2).send(ev(2, 'status', { text: 'alive' }));
    expect(h.snapshot().value).toBe('running');
    h.clock.increment(15 * MINUTE);
    expect(h.notices('worker.silent')).toHaveLength(1);
  });

  it('a classification at exit is recovered the same way, and a relaunch that completes at once exits', async () => {
    const c = outsideWorkspace();
    const h = startWorker({
      scripts: {
        1: () => [spawned(1), exited(1, { exitCode: 1, classification: c })],
        // Progress, answer and exit arrive together: the exit is seen while still recovering.
        2: () => [spawned(2), ev(2, 'status', { kind: 'run.completed', text: 'fixed' }), exited(2, { exitCode: 0 })],
      },
    });
    await settle();
    expect(h.output()).toMatchObject({ status: 'exited', exitCode: 0, finalText: 'fixed' });
    expect(recoveryNotices(h).map((n) => [n.phase, n.outcome])).toEqual([
      ['started', undefined],
      ['relaunched', undefined],
      ['ended', 'recovered'],
    ]);
  });

  it('a relaunch that progresses and then fails in the same breath ends failed, not exited', async () => {
    const h = startWorker({
      scripts: {
        1: () => [spawned(1), classified(1, outsideWorkspace())],
        2: () => [spawned(2), ev(2, 'status', { text: 'started' }), exited(2, { exitCode: 3 })],
      },
    });
    await settle();
    expect(h.output()).toMatchObject({ status: 'failed', exitCode: 3 });
  });

  it('a relaunch that fails again is retried, then escalated after maxAttempts (bounded, no loop)', async () => {
    const c = outsideWorkspace();
    const h = startWorker({
      input: { maxRecoveryAttempts: 2 },
      scripts: {
        1: () => [spawned(1, 4001), classified(1, c)],
        2: () => [spawned(2, 4002), exited(2, { exitCode: 1, classification: c })],
        3: () => [spawned(3, 4003), exited(3, { exitCode: 1, classification: c })],
        4: () => [spawned(4, 4004), ev(4, 'status', { text: 'should never run' })],
      },
    });
    await settle(10);
    expect(h.agents.runs.map((r) => r.input.attempt)).toEqual([1, 2, 3]);
    expect(h.states).toEqual(['launching', 'running', 'recovering', 'failed']);
    const out = h.output();
    expect(out).toMatchObject({ status: 'failed', exitCode: 1, classification: c });
    expect(out?.escalation).toEqual({
      outcome: 'escalated',
      kind: 'path_outside_workspace',
      evidence: c.evidence,
      change: '--add-dir /srv/data',
      suggestions: ['The corrected launch (--add-dir /srv/data) did not help.', 'Gave up after 2 recovery attempt(s).', `Last failure: ${c.evidence}`],
      attempts: 2,
    });
    expect(recoveryNotices(h).map((n) => [n.phase, n.attempt, n.outcome])).toEqual([
      ['started', 1, undefined],
      ['relaunched', 2, undefined],
      ['relaunched', 3, undefined],
      ['ended', 3, 'escalated'],
    ]);
  });

  it('the bound holds across recoveries: a recovered worker that fails again only gets what is left', async () => {
    const c = outsideWorkspace();
    const h = startWorker({
      input: { maxRecoveryAttempts: 1 },
      scripts: {
        1: () => [spawned(1), classified(1, c)],
        2: () => [spawned(2), ev(2, 'status', { text: 'fine' })],
      },
    });
    await settle();
    expect(h.snapshot().value).toBe('running');
    h.agents.run(2).send(classified(2, c));
    await settle();
    expect(h.agents.runs).toHaveLength(2);
    expect(h.output()).toMatchObject({ status: 'failed' });
    expect(h.output()?.escalation).toMatchObject({ outcome: 'escalated', attempts: 0 });
    expect(h.output()?.escalation?.suggestions).toContain('Gave up after 1 recovery attempt(s).');
  });

  it('an escalate remedy (permission_denied) ends failed with the escalation and its suggestions', async () => {
    const c = permissionDenied();
    const h = startWorker({ scripts: { 1: () => [spawned(1), exited(1, { exitCode: 1, classification: c })] } });
    await settle();
    expect(h.agents.runs).toHaveLength(1);
    expect(h.groupWaits).toEqual([]);
    expect(h.states).toEqual(['launching', 'running', 'recovering', 'failed']);
    expect(h.output()).toMatchObject({
      status: 'failed',
      exitCode: 1,
      classification: c,
      escalation: { outcome: 'escalated', kind: 'permission_denied', evidence: c.evidence, suggestions: ['Grant write access to /repo/secret.pem', 'Or exclude the file from the task'], attempts: 0 },
    });
    expect(recoveryNotices(h)).toEqual([
      { type: 'worker.recovery', workerId: WORKER, agent: AGENT, phase: 'started', kind: 'permission_denied', evidence: c.evidence, change: undefined, suggestions: ['Grant write access to /repo/secret.pem', 'Or exclude the file from the task'], attempt: 1 },
      { type: 'worker.recovery', workerId: WORKER, agent: AGENT, phase: 'ended', kind: 'permission_denied', evidence: c.evidence, change: undefined, outcome: 'escalated', suggestions: ['Grant write access to /repo/secret.pem', 'Or exclude the file from the task'], attempt: 1 },
    ]);
  });

  it('an escalate remedy mid-run stops the running agent and escalates, even with no relaunches left', () => {
    const h = startWorker({ input: { maxRecoveryAttempts: 0 }, scripts: { 1: () => [spawned(1), classified(1, permissionDenied())] } });
    expect(h.agents.run(1).torndown).toBe(true);
    expect(h.output()).toMatchObject({ status: 'failed', escalation: { outcome: 'escalated', kind: 'permission_denied' } });
  });

  it('a relaunched agent that shows no progress within verifyTimeoutMs escalates (simulated time) and is stopped', async () => {
    const h = startWorker({ scripts: { 1: () => [spawned(1), classified(1, outsideWorkspace())], 2: () => [spawned(2)] } });
    await settle();
    h.clock.increment(VERIFY - 1);
    expect(h.snapshot().value).toBe('recovering');
    h.clock.increment(1);
    expect(h.output()).toMatchObject({ status: 'failed', escalation: { outcome: 'escalated', attempts: 1 } });
    expect(h.output()?.escalation?.suggestions).toContain('Last failure: the relaunched agent did not report progress in time');
    expect(h.agents.run(2).torndown).toBe(true);
  });

  it('a relaunch that cannot even be spawned counts as failing again (no hang)', async () => {
    const h = startWorker({
      input: { maxRecoveryAttempts: 1 },
      scripts: { 1: () => [spawned(1), classified(1, outsideWorkspace())], 2: () => [failedToLaunch(2, 'spawn claude ENOENT')] },
    });
    await settle();
    expect(h.output()).toMatchObject({ status: 'failed', escalation: { outcome: 'escalated', attempts: 1 } });
    expect(h.output()?.escalation?.suggestions).toContain('Last failure: spawn claude ENOENT');
  });

  it('a relaunched agent classified mid-run is stopped before the next relaunch, and its own group is awaited', async () => {
    const c = outsideWorkspace();
    const h = startWorker({
      input: { maxRecoveryAttempts: 3 },
      scripts: {
        1: () => [spawned(1, 4001), classified(1, c)],
        2: () => [spawned(2, 4002), classified(2, c)],
        3: () => [spawned(3, 4003), ev(3, 'status', { text: 'ok now' })],
      },
    });
    await settle(10);
    expect(h.agents.runs.map((r) => r.input.attempt)).toEqual([1, 2, 3]);
    expect(h.agents.run(2).torndown).toBe(true);
    expect(h.agents.run(3).torndown).toBe(false);
    expect(h.groupWaits).toEqual([{ pid: 4001 }, { pid: 4002 }]);
    expect(h.snapshot().value).toBe('running');
  });

  it('worker.stop while the relaunched agent is being verified stops it and ends stopped', async () => {
    const h = startWorker({ scripts: { 1: () => [spawned(1), classified(1, outsideWorkspace())], 2: () => [spawned(2)] } });
    await settle();
    expect(h.snapshot().value).toBe('recovering');
    h.send({ type: 'worker.stop' });
    expect(h.agents.run(2).torndown).toBe(true);
    expect(h.output()).toMatchObject({ status: 'stopped' });
    expect(recoveryNotices(h).map((n) => n.phase)).toEqual(['started', 'relaunched']);
  });

  it('worker.stop while waiting for the failed group ends stopped (no crash, no hang) and relaunches nothing', async () => {
    const h = startWorker({ groupExit: 'never', scripts: { 1: () => [spawned(1), classified(1, outsideWorkspace())] } });
    await settle();
    expect(h.snapshot().value).toBe('recovering');
    h.send({ type: 'worker.stop' });
    await settle();
    expect(h.error()).toBeUndefined();
    expect(h.output()).toMatchObject({ status: 'stopped' });
    expect(h.agents.runs).toHaveLength(1);
  });

  it('worker.stop after an exit-time classification, before the relaunch, ends stopped', async () => {
    const h = startWorker({ groupExit: 'never', scripts: { 1: () => [spawned(1), exited(1, { exitCode: 1, classification: outsideWorkspace() })] } });
    await settle();
    h.send({ type: 'worker.stop' });
    await settle();
    expect(h.error()).toBeUndefined();
    expect(h.output()).toMatchObject({ status: 'stopped' });
  });

  it('notices name the worker and carry what the session logs', async () => {
    const h = startWorker({ scripts: { 1: () => [spawned(1), classified(1, outsideWorkspace())], 2: () => [spawned(2), ev(2, 'status', { text: 'ok' })] } });
    await settle();
    const notices: Extract<WorkerNotice, { type: 'worker.recovery' }>[] = recoveryNotices(h);
    expect(notices.map((n) => n.phase)).toEqual(['started', 'relaunched', 'ended']);
    for (const n of notices) expect(n).toMatchObject({ workerId: WORKER, kind: 'path_outside_workspace', change: '--add-dir /srv/data' });
  });
});
