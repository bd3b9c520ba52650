/**
 * What the user's answers to an escalation do, which failures escalate (instead of stopping or
 * crashing the session), and mid-run review decisions that arrive while the session waits.
 */
import { createActor, fromPromise } from 'xstate';
import { describe, expect, it } from 'vitest';
import { sessionMachine } from '../../src/machines/session.js';
import { workerMachine, type WorkerOutput } from '../../src/machines/worker.js';
import type { reviewMachine } from '../../src/machines/review.js';
import { agentEvent, decided, implemented, invalidPlanAnswer, promptTask, sessionInput, usage } from './session-helpers/fixtures.js';
import { decisions, harness, milestone, running, workers, type ReviewScript } from './session-helpers/harness.js';

const reviewsOf = (h: ReturnType<typeof harness>, trigger: string) => h.reviews.filter((r) => r.input.trigger === trigger);

describe('session: approving a phase review escalation continues past the blocker', () => {
  it('after the plan review: implementing starts with the stored plan, the architect is not run again', async () => {
    const h = harness({ review: decisions({ phaseReview: ['STOP_AND_ESCALATE'] }) }).start();
    const s = await h.until('escalated');
    expect(s.context.escalation).toMatchObject({ source: 'review', onApprove: 'advance', suggestions: [expect.stringContaining('Approve to continue despite the blocker')] });
    h.send({ type: 'user.approve' });
    await h.until('completed');
    expect(h.calls('architect')).toHaveLength(1);
    expect(h.calls('implementer').map((c) => promptTask(c.input))).toEqual(['b', 'a']);
  });

  it('after a task review: the next task (taskIndex + 1), the blocked task is not re-run', async () => {
    const h = harness({ review: decisions({ phaseReview: ['CONTINUE', 'STOP_AND_ESCALATE'] }) }).start();
    expect((await h.until('escalated')).context.escalation?.onApprove).toBe('advance');
    h.send({ type: 'user.approve' });
    await h.until('completed');
    expect(h.calls('implementer').map((c) => promptTask(c.input))).toEqual(['b', 'a']);
  });

  it('after the last task review: on to the final review', async () => {
    const h = harness({ review: decisions({ phaseReview: ['CONTINUE', 'CONTINUE', 'STOP_AND_ESCALATE'] }) }).start();
    await h.until('escalated');
    h.send({ type: 'user.approve' });
    await h.until('completed');
    expect(h.calls('implementer')).toHaveLength(2);
    expect(reviewsOf(h, 'final')).toHaveLength(1);
  });

  it('after the final review: completed, without another final review', async () => {
    const h = harness({ review: decisions({ phaseReview: ['CONTINUE', 'CONTINUE', 'CONTINUE', 'STOP_AND_ESCALATE'] }) }).start();
    await h.until('escalated');
    h.send({ type: 'user.approve' });
    const done = await h.until('completed');
    expect(done.status).toBe('done');
    expect(reviewsOf(h, 'final')).toHaveLength(1);
  });

  it('a worker escalation retries the step', async () => {
    const h = harness({ worker: workers({ implementer: [{ workerId: 'implementer', status: 'failed', exitCode: 2, usage: usage(0) }] }) }).start();
    expect((await h.until('escalated')).context.escalation?.onApprove).toBe('retry');
    h.send({ type: 'user.approve' });
    await h.until('completed');
    expect(h.calls('implementer').map((c) => promptTask(c.input))).toEqual(['b', 'b', 'a']);
  });

  it('a mid-run review STOP resumes the interrupted phase: the step runs again', async () => {
    const { h } = await running({ review: decisions({ spawned: ['STOP_AND_ESCALATE'] }) });
    h.send(milestone());
    expect((await h.until('escalated')).context.escalation).toMatchObject({ source: 'review', onApprove: 'retry' });
    h.send({ type: 'user.approve' });
    expect(promptTask((await h.heldWorker('implementer')).input)).toBe('b');
  });
});

describe('session: a plan escalation accepts a clarification', () => {
  it('user.clarify stores the text and plans again with it', async () => {
    const h = harness({ worker: workers({ architect: [invalidPlanAnswer(), invalidPlanAnswer()] }) }).start();
    const s = await h.until('escalated');
    expect(s.context.escalation).toMatchObject({ onApprove: 'retry', acceptsClarification: true });
    h.send({ type: 'user.clarify', text: 'only the greeting, no CLI' });
    await h.until('completed');
    const architects = h.calls('architect');
    expect(architects).toHaveLength(3);
    expect(architects[2]?.input.request.prompt).toContain('The user clarified:\nonly the greeting, no CLI');
    expect(h.snapshot().context.escalation).toBeUndefined();
  });

  it('other escalations do not take a clarification', async () => {
    const h = harness({ review: decisions({ phaseReview: ['STOP_AND_ESCALATE'] }) }).start();
    await h.until('escalated');
    h.send({ type: 'user.clarify', text: 'ignored' });
    await h.flush();
    expect(h.state()).toBe('escalated');
    expect(h.snapshot().context.clarification).toBeUndefined();
  });
});

describe('session: mid-run review decisions that arrive while the session waits are queued', () => {
  it('a PAUSE_AND_CLARIFY arriving while paused is asked when the user resumes', async () => {
    const { h } = await running({ review: decisions({ spawned: ['hold'] }) });
    h.send(milestone());
    const r = await h.heldReview('review-*');
    h.send({ type: 'user.pause' });
    await h.until('paused');
    r.resolve(decided(r.input, 'PAUSE_AND_CLARIFY', 'which API version?'));
    await h.until((s) => s.context.liveReviews.length === 0);
    expect(h.state()).toBe('paused');
    expect(h.snapshot().context.queuedDecisions).toHaveLength(1);

    h.send({ type: 'user.resume' });
    const asking = await h.until('awaitingClarification');
    expect(asking.context.question).toBe('which API version?');
    expect(asking.context.queuedDecisions).toEqual([]);
    h.send({ type: 'user.clarify', text: 'v2' });
    const again = await h.heldWorker('implementer');
    expect(promptTask(again.input)).toBe('b');
    expect(again.input.request.prompt).toContain('The user clarified:\nv2');
  });

  it('a STOP_AND_ESCALATE arriving while a question waits escalates after the answer', async () => {
    // Mid-run reviews: the blocker review asks at once, the milestone review is held.
    const review: ReviewScript = (input, call) => (!call.id.startsWith('review-') ? decided(input, 'CONTINUE') : input.trigger === 'blocker' ? decided(input, 'PAUSE_AND_CLARIFY') : undefined);
    const { h } = await running({ review });
    h.send(milestone());
    const first = await h.heldReview('review-*');
    // A blocker is reviewed even while another review runs; it asks a question at once.
    h.send({ type: 'worker.event', workerId: 'implementer', event: agentEvent('implementer', 'blocker', 'stuck') });
    await h.until('awaitingClarification');
    first.resolve(decided(first.input, 'STOP_AND_ESCALATE', 'the tests were deleted'));
    await h.until((s) => s.context.liveReviews.length === 0);
    expect(h.state()).toBe('awaitingClarification');

    h.send({ type: 'user.clarify', text: 'go on' });
    const s = await h.until('escalated');
    expect(s.context.escalation).toMatchObject({ reason: 'the tests were deleted', onApprove: 'retry' });
    h.send({ type: 'user.approve' });
    expect(promptTask((await h.heldWorker('implementer')).input)).toBe('b');
  });

  it('a STOP_AND_ESCALATE arriving while escalated is the next escalation after approve', async () => {
    const h = harness({ worker: workers({ implementer: ['hold', 'hold'] }), review: decisions({ phaseReview: ['CONTINUE'], spawned: ['hold'] }) }).start();
    const worker = await h.heldWorker('implementer');
    h.send(milestone());
    const r = await h.heldReview('review-*');
    worker.resolve({ workerId: 'implementer', status: 'failed', exitCode: 3, usage: usage(0) });
    await h.until('escalated');
    r.resolve(decided(r.input, 'STOP_AND_ESCALATE', 'secrets in the diff'));
    await h.until((s) => s.context.liveReviews.length === 0);
    expect(h.snapshot().context.escalation?.reason).toBe('implementer failed: exit code 3');

    h.send({ type: 'user.approve' });
    const next = await h.until('escalated');
    expect(next.context.escalation?.reason).toBe('secrets in the diff');
    h.send({ type: 'user.approve' });
    expect(promptTask((await h.heldWorker('implementer')).input)).toBe('b');
  });
});

describe('session: a worker stopped by a resource limit escalates', () => {
  const limited: WorkerOutput = { workerId: 'implementer', status: 'stopped', exitCode: null, usage: usage(0), failure: 'memory limit exceeded: rss 2.3 GB > 2 GB' };

  it('with the limit in the reason; approve retries the step', async () => {
    const h = harness({ worker: workers({ implementer: [limited] }) }).start();
    const s = await h.until('escalated');
    expect(s.context.escalation).toMatchObject({ source: 'worker', onApprove: 'retry', reason: 'implementer stopped: memory limit exceeded: rss 2.3 GB > 2 GB' });
    h.send({ type: 'user.approve' });
    await h.until('completed');
    expect(h.calls('implementer').map((c) => promptTask(c.input))).toEqual(['b', 'b', 'a']);
  });

  it('the architect too', async () => {
    const h = harness({ worker: workers({ architect: [{ ...limited, workerId: 'architect' }] }) }).start();
    expect((await h.until('escalated')).context.escalation?.reason).toContain('architect stopped: memory limit exceeded');
  });
});

describe('session: a child actor that throws escalates instead of crashing the session', () => {
  it('a worker error escalates with its text; approve retries', async () => {
    const h = harness({ worker: workers({ implementer: ['hold'] }) }).start();
    (await h.heldWorker('implementer')).reject(new Error('spawn EACCES'));
    const s = await h.until('escalated');
    expect(s.context.escalation).toMatchObject({ source: 'worker', onApprove: 'retry', reason: 'implementer failed: spawn EACCES' });
    expect(h.errors).toEqual([]);
    h.scripts.worker = workers({});
    h.send({ type: 'user.approve' });
    await h.until('completed');
  });

  it.each([
    ['the plan review', []],
    ['a task review', ['CONTINUE']],
    ['the final review', ['CONTINUE', 'CONTINUE', 'CONTINUE']],
  ] as const)('an error of %s escalates', async (_label, before) => {
    const h = harness({ review: decisions({ phaseReview: [...before, 'hold'] }) }).start();
    (await h.heldReview('phaseReview')).reject(new Error('no reviewers configured'));
    const s = await h.until('escalated');
    expect(s.context.escalation?.reason).toContain('no reviewers configured');
    expect(s.context.escalation?.onApprove).toBe('retry');
    expect(h.errors).toEqual([]);
  });

  it('a missing launch template (thrown while the real worker starts) escalates with the error text', () => {
    const input = sessionInput();
    const { gemini: _dropped, ...templates } = input.templates;
    const review = fromPromise(() => new Promise<never>(() => undefined)) as unknown as typeof reviewMachine;
    const actor = createActor(sessionMachine.provide({ actors: { worker: workerMachine, review } }), { input: { ...input, templates } });
    const errors: unknown[] = [];
    actor.subscribe({ error: (e) => errors.push(e) });
    actor.start();
    const s = actor.getSnapshot();
    expect(errors).toEqual([]);
    expect(s.value).toBe('escalated');
    expect(s.context.escalation?.reason).toContain('no launch template for agent gemini');
    actor.stop();
  });

  it('a spawned review that errors is dropped with a notice; the worker keeps running', async () => {
    const { h, worker } = await running({ review: decisions({ spawned: ['hold'] }) });
    h.send(milestone());
    (await h.heldReview('review-*')).reject(new Error('git broke'));
    await h.until((s) => s.context.liveReviews.length === 0);
    expect(h.state()).toBe('implementing.working');
    expect(worker.aborted).toBe(false);
    expect(h.errors).toEqual([]);
    expect(h.emitted.filter((e) => e.type === 'session.notice').map((e) => (e.type === 'session.notice' ? e.text : ''))).toEqual([expect.stringContaining('git broke')]);
    expect(Object.keys(h.snapshot().children)).toEqual(['implementer']);
    worker.resolve(implemented());
  });
});
