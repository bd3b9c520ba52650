import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../src/machines/session.js';
import {
  agentEvent,
  crashed,
  decided,
  failedWith,
  implemented,
  invalidPlanAnswer,
  ONE_TASK,
  planAnswer,
  promptTask,
  ROLES,
  stoppedWorker,
  TWO_TASKS,
  usage,
} from './session-helpers/fixtures.js';
import { decisions, happyReview, happyWorker, harness, milestone, running, workers, type Harness, type ReviewCall } from './session-helpers/harness.js';

const reviewIds = (h: Harness): string[] => h.reviews.map((r) => r.input.reviewId);
const actions = (h: Harness): string[] => h.emitted.flatMap((e) => (e.type === 'session.review' ? [`${e.output.reviewId}:${e.output.decision.action}`] : []));

describe('session: the whole flow', () => {
  it('plans, implements the tasks in dependency order, reviews each, passes the final review and completes', async () => {
    const h = harness().start();
    const done = await h.until('completed');
    expect(done.status).toBe('done');
    expect(h.errors).toEqual([]);

    // Visited states, transient ones included.
    expect(h.visited).toEqual([
      'planning.working',
      'planning.reviewing',
      'implementing.next',
      'implementing.working',
      'implementing.reviewing',
      'implementing.next',
      'implementing.working',
      'implementing.reviewing',
      'implementing.next',
      'finalReview',
      'completed',
    ]);

    // One architect run (read-only, with the plan schema), then one implementer run per task: b before a (a depends on b).
    const [architect, ...rest] = h.workers;
    expect(architect?.id).toBe('architect');
    expect(architect?.input).toMatchObject({ workerId: 'architect', role: 'architect', agent: ROLES.architect, adapter: 'gemini', request: { role: 'architect', mode: 'read-only', cwd: '/repo' } });
    expect(architect?.input.request.outputSchema).toBeDefined();
    expect(promptTask(architect!.input)).toBe('-');
    expect(rest.map((c) => [c.id, c.input.agent, c.input.request.mode, promptTask(c.input)])).toEqual([
      ['implementer', ROLES.implementer, 'work', 'b'],
      ['implementer', ROLES.implementer, 'work', 'a'],
    ]);
    expect(rest[1]?.input.request.prompt).toContain('Your task a: title of a');

    // Plan review, two task reviews (on the implementer's summary), one final review by the reviewer role only.
    expect(h.reviews.map((r) => [r.id, r.input.reviewId, r.input.trigger, r.input.subjectWorkerId, r.input.reviewers.join(',')])).toEqual([
      ['phaseReview', 'review-1', 'milestone', 'architect', 'codex,gemini'],
      ['phaseReview', 'review-2', 'milestone', 'implementer', 'codex,gemini'],
      ['phaseReview', 'review-3', 'milestone', 'implementer', 'codex,gemini'],
      ['phaseReview', 'review-4', 'final', 'implementer', 'codex'],
    ]);
    expect(h.reviews[1]?.input.subject).toMatchObject({ kind: 'review', text: 'did implementer', agent: 'claude' });
    expect(h.reviews[3]?.input.subject.kind).toBe('final-review');

    expect(h.emitted.map((e) => e.type)).toEqual(['session.plan', 'session.review', 'session.review', 'session.review', 'session.review']);
    expect(h.emitted[0]).toMatchObject({ type: 'session.plan', attempt: 1, plan: TWO_TASKS });
    expect(done.context).toMatchObject({ taskIndex: 2, reviewCount: 4, tasks: [{ id: 'b' }, { id: 'a' }], liveReviews: [] });
  });

  it('accepts a plan given only as JSON text (no structured answer)', async () => {
    const h = harness({ worker: workers({ architect: [{ workerId: 'architect', status: 'exited', exitCode: 0, usage: usage(0), finalText: `Here:\n\`\`\`json\n${JSON.stringify(ONE_TASK)}\n\`\`\`` }] }) }).start();
    await h.until('completed');
    expect(h.calls('implementer').map((c) => promptTask(c.input))).toEqual(['only']);
  });
});

describe('session: plan validation', () => {
  it('asks for an invalid plan again, once, with the problems in the new prompt', async () => {
    const h = harness({ worker: workers({ architect: [invalidPlanAnswer()] }) }).start();
    await h.until('completed');
    const [first, second] = h.calls('architect');
    expect(first?.input.request.prompt).not.toContain('previous plan was rejected');
    expect(second?.input.request.prompt).toContain('Your previous plan was rejected');
    expect(second?.input.request.prompt).toContain('task x depends on unknown task missing');
    expect(h.emitted.filter((e) => e.type === 'session.planRejected')).toEqual([{ type: 'session.planRejected', attempt: 1, problems: [expect.stringContaining('unknown task missing')] }]);
    expect(h.emitted.find((e) => e.type === 'session.plan')).toMatchObject({ attempt: 2 });
  });

  it('escalates after the second invalid plan; approve plans again (two fresh attempts), reject fails', async () => {
    const h = harness({ worker: workers({ architect: [invalidPlanAnswer(), invalidPlanAnswer(), invalidPlanAnswer()] }) }).start();
    const s = await h.until('escalated');
    expect(h.calls('architect')).toHaveLength(2);
    expect(s.context.escalation?.source).toBe('worker');
    expect(s.context.escalation?.reason).toContain('failed validation twice');

    h.send({ type: 'user.approve' });
    await h.until('completed');
    // Third answer invalid again, but it is the first of the new planning phase: retried, not escalated.
    expect(h.calls('architect')).toHaveLength(4);
    expect(h.snapshot().context.escalation).toBeUndefined();

    const r = harness({ worker: workers({ architect: [invalidPlanAnswer(), invalidPlanAnswer()] }) }).start();
    await r.until('escalated');
    r.send({ type: 'user.reject', reason: 'bad task' });
    const failed = await r.until('failed');
    expect(failed.status).toBe('done');
    expect(failed.context.failure).toBe('bad task');
  });

  it('a pause while planning does not use up the retry of an invalid plan', async () => {
    const h = harness({ worker: workers({ architect: ['hold', invalidPlanAnswer()] }) }).start();
    await h.heldWorker('architect');
    h.send({ type: 'user.pause' });
    await h.until('paused');
    h.send({ type: 'user.resume' });
    await h.until('completed');
    expect(h.calls('architect')).toHaveLength(3);
  });
});

describe('session: plan review decisions', () => {
  it('PAUSE_AND_CLARIFY waits for the user; the clarification goes into the new planning prompt', async () => {
    const h = harness({ review: decisions({ phaseReview: ['PAUSE_AND_CLARIFY'] }) }).start();
    const waiting = await h.until('awaitingClarification');
    expect(waiting.context.question).toBe('reason for PAUSE_AND_CLARIFY');
    h.send({ type: 'user.pause' }); // not a working phase: ignored
    h.send({ type: 'user.clarify', text: 'use TypeScript, not JS' });
    await h.until('completed');
    const [first, second] = h.calls('architect');
    expect(first?.input.request.prompt).not.toContain('The user clarified');
    expect(second?.input.request.prompt).toContain('The user clarified:\nuse TypeScript, not JS');
    expect(h.visited.slice(0, 6)).toEqual(['planning.working', 'planning.reviewing', 'awaitingClarification', 'resuming', 'planning.working', 'planning.reviewing']);
    expect(h.snapshot().context.question).toBeUndefined();
  });

  it('STOP_AND_ESCALATE escalates; approve continues past the blocker (implementing with the plan), reject fails', async () => {
    const h = harness({ review: decisions({ phaseReview: ['STOP_AND_ESCALATE'] }) }).start();
    const s = await h.until('escalated');
    expect(s.context.escalation).toEqual({ source: 'review', reason: 'reason for STOP_AND_ESCALATE', suggestions: [expect.any(String)], onApprove: 'advance' });
    h.send({ type: 'user.approve' });
    const done = await h.until('completed');
    expect(done.context.escalation).toBeUndefined();
    expect(h.calls('architect')).toHaveLength(1);

    const r = harness({ review: decisions({ phaseReview: ['STOP_AND_ESCALATE'] }) }).start();
    await r.until('escalated');
    r.send({ type: 'user.reject' });
    expect((await r.until('failed')).context.failure).toBe('rejected by the user');
  });

  it('LOG_WARNING on the plan continues to implementing', async () => {
    const h = harness({ review: decisions({ phaseReview: ['LOG_WARNING'] }) }).start();
    await h.until('completed');
    expect(actions(h)[0]).toBe('review-1:LOG_WARNING');
    expect(h.calls('implementer')).toHaveLength(2);
  });
});

describe('session: task review decisions', () => {
  it('LOG_WARNING continues; the warning reaches the next implementer prompt and that worker is monitored', async () => {
    // Milestone reviews are off: only a monitored worker's milestone is reviewed.
    const h = harness({
      input: { settings: { triggers: { milestone: false, blocker: true, request: true, manual: true, silence: true } } },
      worker: workers({ implementer: ['hold', 'hold'] }),
      review: decisions({ phaseReview: ['CONTINUE', 'LOG_WARNING'], spawned: ['hold'] }),
    }).start();

    const first = await h.heldWorker('implementer');
    h.send(milestone('b half done'));
    expect(h.reviews.filter((r) => r.id.startsWith('review-'))).toHaveLength(0);
    first.resolve(implemented('did b'));

    const second = await h.heldWorker('implementer');
    expect(promptTask(second.input)).toBe('a');
    expect(second.input.request.prompt).toContain('A reviewer raised a concern about earlier work; keep it in mind:\nreason for LOG_WARNING');
    expect(h.snapshot().context.monitored).toEqual(['implementer']);

    h.send(milestone('a half done'));
    const spawned = await h.heldReview('review-*');
    expect(spawned.input).toMatchObject({ trigger: 'milestone', subjectWorkerId: 'implementer', subject: { text: 'a half done' } });
    // Monitoring covers the next milestone only.
    expect(h.snapshot().context.monitored).toEqual([]);
    spawned.resolve(decided(spawned.input, 'CONTINUE'));
    await h.until((s) => s.context.liveReviews.length === 0);
    h.send(milestone('a nearly done'));
    expect(h.reviews.filter((r) => r.id.startsWith('review-'))).toHaveLength(1);

    second.resolve(implemented('did a'));
    const done = await h.until('completed');
    // The warning is for one task: the task after it is told nothing.
    expect(done.context.warning).toBeUndefined();
  });

  it('PAUSE_AND_CLARIFY on a task re-runs that task with the clarification', async () => {
    const h = harness({ review: decisions({ phaseReview: ['CONTINUE', 'PAUSE_AND_CLARIFY'] }) }).start();
    await h.until('awaitingClarification');
    h.send({ type: 'user.clarify', text: 'keep the old API' });
    await h.until('completed');
    const impl = h.calls('implementer');
    expect(impl.map((c) => promptTask(c.input))).toEqual(['b', 'b', 'a']);
    expect(impl[1]?.input.request.prompt).toContain('The user clarified:\nkeep the old API');
    expect(impl[2]?.input.request.prompt).not.toContain('keep the old API');
  });

  it('STOP_AND_ESCALATE on a task: approve goes on with the next task, reject fails', async () => {
    const h = harness({ review: decisions({ phaseReview: ['CONTINUE', 'STOP_AND_ESCALATE'] }) }).start();
    await h.until('escalated');
    h.send({ type: 'user.approve' });
    await h.until('completed');
    expect(h.calls('implementer').map((c) => promptTask(c.input))).toEqual(['b', 'a']);

    const r = harness({ review: decisions({ phaseReview: ['CONTINUE', 'STOP_AND_ESCALATE'] }) }).start();
    await r.until('escalated');
    r.send({ type: 'user.reject', reason: 'no' });
    await r.until('failed');
  });
});

describe('session: reviews during a run', () => {
  it('a milestone spawns a review; CONTINUE leaves the worker running', async () => {
    const { h, worker } = await running({ review: decisions({ spawned: ['hold'] }) });
    h.send(milestone('parser done'));
    const r = await h.heldReview('review-*');
    expect(r.id).toBe('review-2');
    expect(r.input).toMatchObject({ reviewId: 'review-2', trigger: 'milestone', subjectWorkerId: 'implementer', requestedAt: '2025-01-01T00:01:00.000Z', subject: { kind: 'review', text: 'parser done', agent: 'claude' } });
    expect(h.snapshot().context.liveReviews).toEqual(['review-2']);

    // One review at a time: another milestone meanwhile is not reviewed.
    h.send(milestone('lexer done'));
    expect(h.reviews.filter((c) => c.id.startsWith('review-'))).toHaveLength(1);

    r.resolve(decided(r.input, 'CONTINUE'));
    await h.until((s) => s.context.liveReviews.length === 0);
    expect(h.state()).toBe('implementing.working');
    expect(worker.aborted).toBe(false);
    expect(actions(h)).toEqual(['review-1:CONTINUE', 'review-2:CONTINUE']);
    // The finished review is no longer a child of the session (it would stay in every snapshot).
    expect(Object.keys(h.snapshot().children)).toEqual(['implementer']);
    worker.resolve(implemented());
    (await h.heldWorker('implementer')).resolve(implemented());
    await h.until('completed');
    expect(reviewIds(h)).toEqual(['review-1', 'review-2', 'review-3', 'review-4', 'review-5']);
  });

  it.each([
    ['blocker', 'blocker', agentEvent('implementer', 'blocker', 'cannot build')],
    ['review request', 'request', agentEvent('implementer', 'review', 'please look')],
    ['reviewRequested flag', 'request', agentEvent('implementer', 'status', 'look', { payload: { text: 'look', reviewRequested: true } })],
  ] as const)('a %s spawns a review (%s trigger)', async (_label, trigger, event) => {
    const { h } = await running({ review: decisions({ spawned: ['hold', 'hold'] }) });
    h.send({ type: 'worker.event', workerId: 'implementer', event });
    const r = await h.heldReview('review-*');
    expect(r.input.trigger).toBe(trigger);
    expect(r.input.subject.text).toBe(event.payload.text);
  });

  it('a blocker is reviewed even while another review runs', async () => {
    const { h } = await running({ review: decisions({ spawned: ['hold', 'hold'] }) });
    h.send(milestone());
    h.send({ type: 'worker.event', workerId: 'implementer', event: agentEvent('implementer', 'blocker', 'stuck') });
    await h.flush();
    expect(h.reviews.filter((c) => c.id.startsWith('review-')).map((c) => [c.id, c.input.trigger])).toEqual([
      ['review-2', 'milestone'],
      ['review-3', 'blocker'],
    ]);
  });

  it('events that are no trigger, and triggers switched off, spawn nothing', async () => {
    const { h } = await running({ input: { settings: { triggers: { milestone: false, blocker: false, request: false, manual: false, silence: false } } } });
    h.send(milestone());
    h.send({ type: 'worker.event', workerId: 'implementer', event: agentEvent('implementer', 'blocker', 'x') });
    h.send({ type: 'worker.event', workerId: 'implementer', event: agentEvent('implementer', 'review', 'x') });
    h.send({ type: 'worker.event', workerId: 'implementer', event: agentEvent('implementer', 'progress', 'x') });
    h.send({ type: 'user.review' });
    h.send({ type: 'worker.silent', workerId: 'implementer' });
    await h.flush();
    expect(h.reviews.filter((c) => c.id.startsWith('review-'))).toHaveLength(0);
    expect(h.snapshot().context.lastEventAt).toBe('2025-01-01T00:01:00.000Z');
  });

  it('a spawned PAUSE_AND_CLARIFY stops the worker and waits; the clarification re-runs the task', async () => {
    const { h, worker } = await running({ review: decisions({ spawned: ['PAUSE_AND_CLARIFY'] }) });
    h.send(milestone());
    const s = await h.until('awaitingClarification');
    expect(s.context.question).toBe('reason for PAUSE_AND_CLARIFY');
    expect(worker.aborted).toBe(true);
    h.send({ type: 'user.clarify', text: 'use the v2 API' });
    const again = await h.heldWorker('implementer');
    expect(promptTask(again.input)).toBe('b');
    expect(again.input.request.prompt).toContain('use the v2 API');
  });

  it('a spawned STOP_AND_ESCALATE escalates; approve re-runs the task', async () => {
    const { h, worker } = await running({ review: decisions({ spawned: ['STOP_AND_ESCALATE'] }) });
    h.send({ type: 'worker.event', workerId: 'implementer', event: agentEvent('implementer', 'blocker', 'db is gone') });
    const s = await h.until('escalated');
    expect(s.context.escalation).toEqual({ source: 'review', reason: 'reason for STOP_AND_ESCALATE', suggestions: [expect.stringContaining('Approve to run the interrupted step again')], onApprove: 'retry' });
    expect(worker.aborted).toBe(true);
    h.send({ type: 'user.approve' });
    const again = await h.heldWorker('implementer');
    expect(promptTask(again.input)).toBe('b');
  });

  it('a spawned LOG_WARNING keeps going and monitors the worker', async () => {
    const { h, worker } = await running({ review: decisions({ spawned: ['LOG_WARNING'] }) });
    h.send(milestone());
    const s = await h.until((x) => x.context.monitored.includes('implementer'));
    expect(s.context.warning).toBe('reason for LOG_WARNING');
    expect(h.state()).toBe('implementing.working');
    expect(worker.aborted).toBe(false);
  });

  it('user.review asks for a manual review of the architect before a plan exists, of the implementer after', async () => {
    const h = harness({ worker: workers({ architect: ['hold'], implementer: ['hold'] }), review: decisions({ spawned: ['hold', 'hold'] }) }).start();
    const architect = await h.heldWorker('architect');
    h.send({ type: 'user.review' });
    const r1 = await h.heldReview('review-*');
    expect(r1.input).toMatchObject({ trigger: 'manual', subjectWorkerId: 'architect', subject: { role: 'architect', agent: 'gemini', text: 'review requested by the user' } });
    r1.resolve(decided(r1.input, 'CONTINUE'));
    await h.until((s) => s.context.liveReviews.length === 0);
    architect.resolve(planAnswer());
    await h.heldWorker('implementer');
    h.send({ type: 'user.review' });
    await h.flush();
    const r2 = h.reviews.filter((c) => c.id.startsWith('review-'))[1] as ReviewCall;
    expect(r2.input).toMatchObject({ trigger: 'manual', subjectWorkerId: 'implementer' });
  });

  it('worker.silent asks for a silence review', async () => {
    const { h } = await running({ review: decisions({ spawned: ['hold'] }) });
    h.send({ type: 'worker.silent', workerId: 'implementer', lastEventAt: '2025-01-01T00:00:30.000Z' });
    const r = await h.heldReview('review-*');
    expect(r.input).toMatchObject({ trigger: 'silence', subjectWorkerId: 'implementer' });
    expect(r.input.subject.text).toContain('no output');
  });

  it('a review spawned while a phase review runs gets its own id', async () => {
    const h = harness({ review: decisions({ phaseReview: ['hold'], spawned: ['hold'] }) }).start();
    const phase = await h.heldReview('phaseReview');
    h.send({ type: 'user.review' });
    const spawned = await h.heldReview('review-*');
    expect([phase.input.reviewId, spawned.input.reviewId]).toEqual(['review-1', 'review-2']);
    expect(spawned.id).toBe('review-2');
    spawned.resolve(decided(spawned.input, 'CONTINUE'));
    phase.resolve(decided(phase.input, 'CONTINUE'));
    await h.until('completed');
    expect(new Set(reviewIds(h)).size).toBe(h.reviews.length);
  });

  it('a phase review finishing is not applied a second time as a spawned review', async () => {
    const h = harness({ review: decisions({ phaseReview: ['LOG_WARNING'] }) }).start();
    await h.until('completed');
    expect(h.emitted.filter((e) => e.type === 'session.review')).toHaveLength(4);
    expect(h.snapshot().context.monitored).toEqual([]);
  });
});

describe('session: pause and resume', () => {
  it.each([
    ['planning.working', 'architect', 'planning.working'],
    ['planning.reviewing', 'plan review', 'planning.working'],
    ['implementing.working', 'implementer', 'implementing.next'],
    ['implementing.reviewing', 'task review', 'implementing.next'],
    ['finalReview', 'final review', 'finalReview'],
  ] as const)('user.pause in %s (%s held) → paused → user.resume re-enters %s', async (state, _what, resumed) => {
    const h = harness({
      worker: workers(state === 'planning.working' ? { architect: ['hold'] } : state === 'implementing.working' ? { implementer: ['hold'] } : {}),
      review: decisions(state === 'planning.reviewing' ? { phaseReview: ['hold'] } : state === 'implementing.reviewing' ? { phaseReview: ['CONTINUE', 'hold'] } : state === 'finalReview' ? { phaseReview: ['CONTINUE', 'CONTINUE', 'CONTINUE', 'hold'] } : {}),
    }).start();
    await h.until(state);
    await h.flush();
    const liveBefore = [...h.workers, ...h.reviews].filter((c) => !c.settled);
    expect(liveBefore).toHaveLength(1);
    h.send({ type: 'user.pause' });
    const paused = await h.until('paused');
    expect(paused.context.pausedFor).toBe('paused by the user');
    expect(liveBefore[0]?.aborted).toBe(true);
    const callsBefore = h.workers.length + h.reviews.length;

    // From here on every call is answered at once.
    h.scripts.worker = happyWorker;
    h.scripts.review = happyReview;
    h.send({ type: 'user.resume' });
    await h.until('completed');
    expect(h.visited[h.visited.indexOf('paused') + 1]).toBe(resumed);
    // The interrupted step runs again from its start: a new call of the same kind.
    expect(h.workers.length + h.reviews.length).toBeGreaterThan(callsBefore);
    if (state.startsWith('implementing')) expect(h.calls('implementer').map((c) => promptTask(c.input))).toEqual(['b', 'b', 'a']);
    if (state.startsWith('planning')) expect(h.calls('architect')).toHaveLength(2);
    if (state === 'finalReview') expect(h.reviews.filter((r) => r.input.trigger === 'final')).toHaveLength(2);
  });
});

describe('session: user.stop', () => {
  const scenarios: Record<string, () => Harness | Promise<Harness>> = {
    'planning.working': () => harness({ worker: workers({ architect: ['hold'] }) }).start(),
    'planning.reviewing': () => harness({ review: decisions({ phaseReview: ['hold'] }) }).start(),
    'implementing.working': async () => (await running()).h,
    'implementing.reviewing': () => harness({ review: decisions({ phaseReview: ['CONTINUE', 'hold'] }) }).start(),
    finalReview: () => harness({ review: decisions({ phaseReview: ['CONTINUE', 'CONTINUE', 'CONTINUE', 'hold'] }) }).start(),
    paused: async () => {
      const h = harness({ worker: workers({ architect: ['hold'] }) }).start();
      await h.heldWorker('architect');
      h.send({ type: 'user.pause' });
      return h;
    },
    awaitingClarification: () => harness({ review: decisions({ phaseReview: ['PAUSE_AND_CLARIFY'] }) }).start(),
    escalated: () => harness({ review: decisions({ phaseReview: ['STOP_AND_ESCALATE'] }) }).start(),
  };

  it.each(Object.keys(scenarios))('from %s → stopped (final), live children stopped', async (state) => {
    const h = await scenarios[state]!();
    await h.until(state);
    await h.flush();
    const live = [...h.workers, ...h.reviews].filter((c) => !c.settled);
    h.send({ type: 'user.stop' });
    const s = await h.until('stopped');
    expect(s.status).toBe('done');
    expect(live.every((c) => c.aborted)).toBe(true);
    // Nothing moves a stopped session.
    h.send({ type: 'user.resume' });
    h.send({ type: 'user.approve' });
    expect(h.state()).toBe('stopped');
  });

  it('a spawned review still running is stopped with the session', async () => {
    const { h } = await running({ review: decisions({ spawned: ['hold'] }) });
    h.send(milestone());
    const r = await h.heldReview('review-*');
    h.send({ type: 'user.stop' });
    await h.until('stopped');
    expect(r.aborted).toBe(true);
  });

  it('a worker that ends as stopped stops the session', async () => {
    const h = harness({ worker: workers({ implementer: [stoppedWorker('implementer')] }) }).start();
    await h.until('stopped');
    const a = harness({ worker: workers({ architect: [stoppedWorker('architect')] }) }).start();
    await a.until('stopped');
  });
});

describe('session: budgets', () => {
  const withUsage = (workerId: string, tokens: number, costUsd?: number): SessionEvent => ({
    type: 'worker.event',
    workerId,
    event: agentEvent(workerId, 'progress', 'tick', { usage: usage(tokens, costUsd) }),
  });

  it('a session token budget reached by worker usage pauses with the reason, once per budget', async () => {
    const { h, worker } = await running({ input: { settings: { budgets: { tokens: 1000, perAgent: { claude: { tokens: 5000 } } } } } });
    h.send(withUsage('implementer', 600));
    expect(h.state()).toBe('implementing.working');
    h.send(withUsage('implementer', 400));
    const paused = await h.until('paused');
    expect(paused.context.pausedFor).toBe('session token budget reached: 1000 ≥ 1000');
    expect(paused.context.usage.claude).toEqual(usage(1000));
    expect(worker.aborted).toBe(true);

    h.send({ type: 'user.resume' });
    const again = await h.heldWorker('implementer');
    // Same budget, higher amount: not paused again.
    h.send(withUsage('implementer', 100));
    h.send({ type: 'usage.reported', agent: 'codex', usage: usage(100) });
    await h.flush();
    expect(h.state()).toBe('implementing.working');
    expect(again.aborted).toBe(false);

    // Another budget still pauses.
    h.send(withUsage('implementer', 4000));
    expect((await h.until('paused')).context.pausedFor).toBe('claude token budget reached: 5100 ≥ 5000');
  });

  it.each([
    ['session cost', { usd: 1, perAgent: {} }, 'codex', usage(10, 1.5), 'session cost budget reached: $1.5000 ≥ $1'],
    ['per-agent tokens', { perAgent: { codex: { tokens: 50 } } }, 'codex', usage(60), 'codex token budget reached: 60 ≥ 50'],
    ['per-agent cost', { perAgent: { codex: { usd: 0.5 } } }, 'codex', usage(1, 0.5), 'codex cost budget reached: $0.5000 ≥ $0.5'],
  ] as const)('usage.reported reaching the %s budget pauses', async (_label, budgets, agent, used, reason) => {
    const { h } = await running({ input: { settings: { budgets } } });
    h.send({ type: 'usage.reported', agent, usage: used });
    const s = await h.until('paused');
    expect(s.context.pausedFor).toBe(reason);
    expect(s.context.resumeTo).toBe('implementing');
  });

  it('usage below every budget, or of another agent, does not pause', async () => {
    const { h } = await running({ input: { settings: { budgets: { tokens: 1000, usd: 2, perAgent: { gemini: { tokens: 10 } } } } } });
    h.send({ type: 'usage.reported', agent: 'codex', usage: usage(999, 1.99) });
    h.send(withUsage('implementer', 0));
    await h.flush();
    expect(h.state()).toBe('implementing.working');
    expect(h.snapshot().context.usage).toEqual({ codex: usage(999, 1.99), claude: usage(0) });
  });

  it('a budget reached while planning pauses planning and resumes it', async () => {
    const h = harness({ worker: workers({ architect: ['hold'] }), input: { settings: { budgets: { tokens: 10, perAgent: {} } } } }).start();
    await h.heldWorker('architect');
    h.send(withUsage('architect', 10));
    expect((await h.until('paused')).context.resumeTo).toBe('planning');
    h.send({ type: 'user.resume' });
    await h.until('completed');
  });
});

describe('session: agent failures and tiers', () => {
  it('an auth failure of the implementer drops to tier 3 and retries the step with the new implementer', async () => {
    const h = harness({ worker: workers({ implementer: [failedWith('implementer', 'auth')] }) }).start();
    const done = await h.until('completed');
    const impl = h.calls('implementer');
    expect(impl.map((c) => [c.input.agent, promptTask(c.input)])).toEqual([
      ['claude', 'b'],
      ['codex', 'b'],
      ['codex', 'a'],
    ]);
    expect(done.context.tier).toMatchObject({ tier: 3, assignments: { architect: 'gemini', implementer: 'codex', reviewer: 'gemini' }, reviewers: ['gemini'] });
    const tiers = h.emitted.filter((e) => e.type === 'session.tier');
    expect(tiers.map((e) => e.tier)).toEqual([3]);
    expect(tiers[0]?.reason).toContain('claude unavailable (auth: Invalid API key)');
    // Reviews after the drop go to the new reviewers.
    expect(h.reviews.at(-2)?.input.reviewers).toEqual(['gemini']);
    expect(h.reviews.at(-2)?.input.subject.agent).toBe('codex');
  });

  it('an auth failure of the architect drops to tier 4 (the reviewer plans) without using a plan attempt', async () => {
    const h = harness({ worker: workers({ architect: [failedWith('architect', 'quota'), invalidPlanAnswer()] }) }).start();
    const done = await h.until('completed');
    expect(h.calls('architect').map((c) => c.input.agent)).toEqual(['gemini', 'codex', 'codex']);
    expect(done.context.tier).toMatchObject({ tier: 4, assignments: { architect: 'codex', implementer: 'claude', reviewer: 'codex' } });
  });

  it('drops tier by tier until no agent is left, then escalates; approve retries, reject fails', async () => {
    const h = harness({
      worker: workers({ implementer: [failedWith('implementer'), failedWith('implementer'), failedWith('implementer', 'auth', 'gemini logged out'), failedWith('implementer')] }),
    }).start();
    const s = await h.until('escalated');
    expect(h.calls('implementer').map((c) => c.input.agent)).toEqual(['claude', 'codex', 'gemini']);
    expect(h.emitted.filter((e) => e.type === 'session.tier').map((e) => (e.type === 'session.tier' ? e.tier : 0))).toEqual([3, 5]);
    expect(s.context.tier.tier).toBe(5);
    expect(s.context.escalation).toEqual({ source: 'worker', reason: 'implementer: auth — gemini logged out', suggestions: ['log in again'], onApprove: 'retry' });

    h.send({ type: 'user.approve' });
    await h.until('escalated');
    expect(h.calls('implementer').at(-1)?.input.agent).toBe('gemini');
    h.send({ type: 'user.reject', reason: 'out of agents' });
    expect((await h.until('failed')).context.failure).toBe('out of agents');
  });

  it('a failure that is not auth/quota escalates without a tier change', async () => {
    const h = harness({ worker: workers({ implementer: [failedWith('implementer', 'api_error', '500 from the API')] }) }).start();
    const s = await h.until('escalated');
    expect(s.context.tier.tier).toBe(1);
    expect(s.context.escalation?.reason).toBe('implementer: api_error — 500 from the API');
  });

  it('a crash without classification escalates; approve retries the step', async () => {
    const h = harness({ worker: workers({ implementer: [crashed('implementer')], architect: [] }) }).start();
    const s = await h.until('escalated');
    expect(s.context.escalation).toEqual({ source: 'worker', reason: 'implementer failed: exit code 2', suggestions: [expect.stringContaining('Approve to retry')], onApprove: 'retry' });
    h.send({ type: 'user.approve' });
    await h.until('completed');
    expect(h.calls('implementer').map((c) => promptTask(c.input))).toEqual(['b', 'b', 'a']);

    const a = harness({ worker: workers({ architect: [crashed('architect')] }) }).start();
    expect((await a.until('escalated')).context.escalation?.reason).toBe('architect failed: exit code 2');
  });
});

describe('session: final review', () => {
  it('PAUSE_AND_CLARIFY turns the clarification into a follow-up task, then reviews again', async () => {
    const h = harness({ review: decisions({ phaseReview: ['CONTINUE', 'CONTINUE', 'CONTINUE', 'PAUSE_AND_CLARIFY'] }) }).start();
    const waiting = await h.until('awaitingClarification');
    expect(waiting.context.resumeTo).toBe('finalReview');
    h.send({ type: 'user.clarify', text: 'also update the README' });
    const done = await h.until('completed');
    const followUp = h.calls('implementer').at(-1)!;
    expect(promptTask(followUp.input)).toBe('followup-3');
    expect(followUp.input.request.prompt).toContain('reason for PAUSE_AND_CLARIFY\n\nThe user says: also update the README');
    expect(done.context.tasks.map((t) => t.id)).toEqual(['b', 'a', 'followup-3']);
    expect(h.reviews.map((r) => r.input.trigger)).toEqual(['milestone', 'milestone', 'milestone', 'final', 'milestone', 'final']);
  });

  it('STOP_AND_ESCALATE: approve completes without another review, reject fails', async () => {
    const h = harness({ review: decisions({ phaseReview: ['CONTINUE', 'CONTINUE', 'CONTINUE', 'STOP_AND_ESCALATE'] }) }).start();
    await h.until('escalated');
    h.send({ type: 'user.approve' });
    await h.until('completed');
    expect(h.reviews.map((r) => r.input.trigger).slice(-2)).toEqual(['milestone', 'final']);

    const r = harness({ review: decisions({ phaseReview: ['CONTINUE', 'CONTINUE', 'CONTINUE', 'STOP_AND_ESCALATE'] }) }).start();
    await r.until('escalated');
    r.send({ type: 'user.reject' });
    await r.until('failed');
  });

  it('LOG_WARNING completes', async () => {
    const h = harness({ review: decisions({ phaseReview: ['CONTINUE', 'CONTINUE', 'CONTINUE', 'LOG_WARNING'] }) }).start();
    await h.until('completed');
    expect(actions(h).at(-1)).toBe('review-4:LOG_WARNING');
  });
});
