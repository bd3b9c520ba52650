/** Warnings and clarifications carried to implementer prompts, monitoring, and acknowledged budgets. */
import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../src/machines/session.js';
import type { TaskBreakdown } from '../../src/protocol/index.js';
import { agentEvent, decided, implemented, planAnswer, promptTask, task, usage } from './session-helpers/fixtures.js';
import { decisions, harness, milestone, running, workers } from './session-helpers/harness.js';

const THREE: TaskBreakdown = { summary: 'three steps', tasks: [task('x'), task('y', ['x']), task('z', ['y'])] };
const WARNED = 'A reviewer raised a concern about earlier work; keep it in mind:';

describe('session: a mid-run LOG_WARNING reaches the next implementer prompt', () => {
  it('a warning during task x is in the prompt of task y, not of task z', async () => {
    const h = harness({ worker: workers({ architect: [planAnswer(THREE)], implementer: ['hold'] }), review: decisions({ spawned: ['hold'] }) }).start();
    const x = await h.heldWorker('implementer');
    h.send(milestone('x half done'));
    const r = await h.heldReview('review-*');
    r.resolve(decided(r.input, 'LOG_WARNING', 'x skips input validation'));
    await h.until((s) => s.context.warning !== undefined);
    x.resolve(implemented('did x'));
    await h.until('completed');
    const prompts = h.calls('implementer').map((c) => [promptTask(c.input), c.input.request.prompt.includes(`${WARNED}\nx skips input validation`)]);
    expect(prompts).toEqual([
      ['x', false],
      ['y', true],
      ['z', false],
    ]);
    expect(h.snapshot().context.warning).toBeUndefined();
  });

  it('a mid-run warning and the task review warning both reach the next task', async () => {
    const h = harness({ worker: workers({ architect: [planAnswer(THREE)], implementer: ['hold'] }), review: decisions({ phaseReview: ['CONTINUE', 'LOG_WARNING'], spawned: ['LOG_WARNING'] }) }).start();
    const x = await h.heldWorker('implementer');
    h.send(milestone('x half done'));
    await h.until((s) => s.context.warning !== undefined);
    x.resolve(implemented('did x'));
    await h.until('completed');
    const y = h.calls('implementer')[1]!;
    expect(promptTask(y.input)).toBe('y');
    expect(y.input.request.prompt).toContain('reason for LOG_WARNING\nreason for LOG_WARNING');
    expect(h.calls('implementer')[2]?.input.request.prompt).not.toContain(WARNED);
  });

  it('monitored holds each worker once', async () => {
    const { h, worker } = await running({ review: decisions({ phaseReview: ['CONTINUE', 'LOG_WARNING'], spawned: ['LOG_WARNING', 'LOG_WARNING'] }) });
    h.send(milestone('one'));
    await h.until((s) => s.context.liveReviews.length === 0 && s.context.monitored.length > 0);
    // The monitored milestone is reviewed (and monitoring ends); a blocker is reviewed anyway.
    h.send({ type: 'worker.event', workerId: 'implementer', event: agentEvent('implementer', 'blocker', 'two') });
    await h.until((s) => s.context.liveReviews.length === 0 && h.reviews.length === 3);
    expect(h.snapshot().context.monitored).toEqual(['implementer']);
    worker.resolve(implemented());
    await h.heldWorker('implementer');
    expect(h.snapshot().context.monitored).toEqual(['implementer']);
  });
});

describe('session: warnNext clears the clarification like nextTask', () => {
  it('a clarification for task b is not in the prompt of task a after a LOG_WARNING review', async () => {
    const h = harness({ review: decisions({ phaseReview: ['CONTINUE', 'PAUSE_AND_CLARIFY', 'LOG_WARNING'] }) }).start();
    await h.until('awaitingClarification');
    h.send({ type: 'user.clarify', text: 'keep the old API' });
    await h.until('completed');
    const impl = h.calls('implementer');
    expect(impl.map((c) => promptTask(c.input))).toEqual(['b', 'b', 'a']);
    expect(impl[1]?.input.request.prompt).toContain('keep the old API');
    expect(impl[2]?.input.request.prompt).not.toContain('keep the old API');
    expect(impl[2]?.input.request.prompt).toContain(WARNED);
  });
});

describe('session: an acknowledged budget stays acknowledged', () => {
  const withUsage = (tokens: number): SessionEvent => ({ type: 'worker.event', workerId: 'implementer', event: agentEvent('implementer', 'progress', 'tick', { usage: usage(tokens) }) });

  it('a user pause after a budget pause does not make that budget pause again', async () => {
    const { h } = await running({ worker: workers({ implementer: ['hold', 'hold', 'hold'] }), input: { settings: { budgets: { tokens: 1000, perAgent: { claude: { tokens: 5000 } } } } } });
    h.send(withUsage(1000));
    expect((await h.until('paused')).context.pausedFor).toBe('session token budget reached: 1000 ≥ 1000');
    h.send({ type: 'user.resume' });
    await h.heldWorker('implementer');
    h.send({ type: 'user.pause' });
    expect((await h.until('paused')).context.pausedFor).toBe('paused by the user');
    h.send({ type: 'user.resume' });
    const again = await h.heldWorker('implementer');
    h.send(withUsage(100));
    h.send({ type: 'usage.reported', agent: 'codex', usage: usage(100) });
    await h.flush();
    expect(h.state()).toBe('implementing.working');
    expect(again.aborted).toBe(false);
    // Another budget still pauses.
    h.send(withUsage(4000));
    expect((await h.until('paused')).context.pausedFor).toBe('claude token budget reached: 5100 ≥ 5000');
  });
});
