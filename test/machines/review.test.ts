import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, initialTransition, SimulatedClock } from 'xstate';
import type { PolicyConfig } from '../../src/machines/decision-policy.js';
import type { ReviewerRunInput } from '../../src/machines/events.js';
import { reviewMachine, type PrepareReviewInput, type ReviewInput, type ReviewOutput } from '../../src/machines/review.js';
import { OrchestratorDecision, PeerReview, type DecisionAction, type Verdict } from '../../src/protocol/index.js';
import { settle } from './helpers/recording-parent.js';

const REQUESTED_AT = '2025-01-01T10:00:00.000Z';
const TIMEOUT = 10 * 60_000;
const BACKSTOP = TIMEOUT + 5_000;

/** How a fake reviewer run ends. */
type Behaviour =
  | Verdict
  | 'failed'
  | 'unparseable'
  | 'hang'
  | 'reject'
  | 'reject-non-error'
  /** A non-answer that nevertheless says "approved": must not be trusted. */
  | 'inconsistent'
  /** An answer attributed to another reviewer: must not be trusted. */
  | 'impostor';

function reviewInput(reviewers: string[], overrides: Partial<ReviewInput> = {}): ReviewInput {
  return {
    sessionId: 's1',
    reviewId: 'review-3',
    subjectWorkerId: 'implementer',
    trigger: 'milestone',
    reviewers,
    subject: { kind: 'review', workerId: 'implementer', role: 'implementer', agent: 'claude', text: 'parser written' },
    timeoutMs: TIMEOUT,
    policy: 'four-rule',
    requestedAt: REQUESTED_AT,
    ...overrides,
  };
}

let minute = 0;
const answeredAt = (): string => new Date(Date.parse(REQUESTED_AT) + ++minute * 60_000).toISOString();

function review(input: ReviewerRunInput, outcome: PeerReview['outcome'], verdict: Verdict, summary: string, reviewer = input.reviewer): PeerReview {
  return {
    reviewId: input.reviewId,
    reviewer,
    subjectWorkerId: input.subjectWorkerId,
    trigger: input.trigger,
    outcome,
    verdict,
    summary,
    findings: verdict === 'approved' ? [] : [{ severity: verdict === 'blocker' ? 'critical' : 'minor', text: `${verdict} from ${input.reviewer}` }],
    timestamp: answeredAt(),
  };
}

/** A review machine with fake prepareReview / reviewerRun, on a simulated clock. */
function startReview(input: ReviewInput, behaviours: Record<string, Behaviour>, prepare: 'ok' | 'reject' | 'hang' = 'ok') {
  const prepared: PrepareReviewInput[] = [];
  const runs: (ReviewerRunInput & { timeoutMs: number })[] = [];
  const aborted: string[] = [];
  const logic = reviewMachine.provide({
    actors: {
      prepareReview: fromPromise<{ prompt: string }, PrepareReviewInput>(({ input: p }) => {
        prepared.push(p);
        if (prepare === 'reject') return Promise.reject(new Error('git diff failed'));
        if (prepare === 'hang') return new Promise(() => undefined);
        return Promise.resolve({ prompt: `Review ${p.subject.text} (diff attached)` });
      }),
      reviewerRun: fromPromise<PeerReview, ReviewerRunInput & { timeoutMs: number }>(({ input: r, signal }) => {
        runs.push(r);
        signal.addEventListener('abort', () => aborted.push(r.reviewer));
        const b = behaviours[r.reviewer] ?? 'approved';
        switch (b) {
          case 'approved':
          case 'concern':
          case 'blocker':
            return Promise.resolve(review(r, 'answered', b, `${r.reviewer} says ${b}`));
          case 'failed':
            return Promise.resolve(review(r, 'failed', 'concern', 'the reviewer exited with code 1'));
          case 'unparseable':
            return Promise.resolve(review(r, 'unparseable', 'concern', 'the answer was not valid JSON'));
          case 'inconsistent':
            return Promise.resolve(review(r, 'failed', 'approved', 'looks fine I guess'));
          case 'impostor':
            return Promise.resolve(review(r, 'answered', 'approved', 'lgtm', 'someone-else'));
          case 'hang':
            return new Promise<PeerReview>(() => undefined);
          case 'reject':
            return Promise.reject(new Error('reviewer process crashed'));
          case 'reject-non-error':
            // What a careless runtime might do; the machine must still record a failure.
            // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
            return Promise.reject('exit 139');
        }
      }),
    },
  });
  const clock = new SimulatedClock();
  const actor = createActor(logic, { clock, input });
  actor.start();
  return {
    actor,
    clock,
    prepared,
    runs,
    aborted,
    output: (): ReviewOutput | undefined => actor.getSnapshot().output,
    value: () => actor.getSnapshot().value,
  };
}

async function decided(input: ReviewInput, behaviours: Record<string, Behaviour>, prepare: 'ok' | 'reject' = 'ok'): Promise<ReviewOutput> {
  const r = startReview(input, behaviours, prepare);
  await settle();
  const output = r.output();
  if (!output) throw new Error(`review not decided; state ${JSON.stringify(r.value())}`);
  return output;
}

/** Everything recorded must be valid against the protocol, whatever happened. */
function expectValid(output: ReviewOutput): void {
  for (const r of output.reviews) expect(() => PeerReview.parse(r)).not.toThrow();
  expect(() => OrchestratorDecision.parse(output.decision)).not.toThrow();
}

describe('review machine: requesting and collecting', () => {
  it('prepares the request once, then starts exactly one reviewer run per reviewer with the prepared prompt', async () => {
    const r = startReview(reviewInput(['gemini', 'codex', 'claude']), {});
    expect(r.value()).toBe('requesting');
    expect(r.runs).toEqual([]);
    expect(r.prepared).toEqual([
      {
        sessionId: 's1',
        reviewId: 'review-3',
        trigger: 'milestone',
        subject: { kind: 'review', workerId: 'implementer', role: 'implementer', agent: 'claude', text: 'parser written' },
      },
    ]);
    await settle();
    expect(r.runs.map((x) => x.reviewer)).toEqual(['gemini', 'codex', 'claude']);
    for (const run of r.runs) {
      expect(run).toMatchObject({
        sessionId: 's1',
        reviewId: 'review-3',
        subjectWorkerId: 'implementer',
        trigger: 'milestone',
        prompt: 'Review parser written (diff attached)',
        timeoutMs: TIMEOUT,
      });
    }
    // Only the subject's own agent reviews itself (tier 5), and must then run read-only.
    expect(r.runs.map((x) => [x.reviewer, x.selfReview])).toEqual([
      ['gemini', false],
      ['codex', false],
      ['claude', true],
    ]);
    expect(r.output()?.reviews.map((x) => x.reviewer).sort()).toEqual(['claude', 'codex', 'gemini']);
  });

  it('waits for every reviewer before deciding', async () => {
    const r = startReview(reviewInput(['gemini', 'codex']), { gemini: 'approved', codex: 'hang' });
    await settle();
    expect(r.value()).toBe('collecting');
    expect(r.actor.getSnapshot().context.reviews.map((x) => x.reviewer)).toEqual(['gemini']);
  });

  it('with no reviewers nothing was reviewed, which is a warning and not approval', async () => {
    const out = await decided(reviewInput([]), {});
    expect(out.reviews).toEqual([]);
    expect(out.decision).toMatchObject({ action: 'LOG_WARNING', inputs: [], timestamp: REQUESTED_AT });
    expectValid(out);
  });

  it('pure first step: requesting invokes prepareReview and nothing else', () => {
    const [snapshot] = initialTransition(reviewMachine, reviewInput(['gemini']));
    expect(snapshot.value).toBe('requesting');
    expect(snapshot.context).toMatchObject({ prompt: '', reviews: [] });
  });
});

describe('review machine: the four policy outcomes', () => {
  const cases: [string, Record<string, Behaviour>, DecisionAction][] = [
    ['all approved', { gemini: 'approved', codex: 'approved', claude: 'approved' }, 'CONTINUE'],
    ['exactly one concern', { gemini: 'approved', codex: 'concern', claude: 'approved' }, 'LOG_WARNING'],
    ['two concerns', { gemini: 'concern', codex: 'concern', claude: 'approved' }, 'PAUSE_AND_CLARIFY'],
    ['a blocker', { gemini: 'approved', codex: 'blocker', claude: 'concern' }, 'STOP_AND_ESCALATE'],
  ];

  it.each(cases)('%s → %s', async (_label, behaviours, action) => {
    const out = await decided(reviewInput(Object.keys(behaviours)), behaviours);
    expect(out).toMatchObject({ reviewId: 'review-3', subjectWorkerId: 'implementer', trigger: 'milestone' });
    expect(out.decision.action).toBe(action);
    expect(out.decision).toMatchObject({ decisionId: 'review-3-decision', reviewId: 'review-3', policy: 'four-rule' });
    // The decision records its inputs (one per review, as recorded) and reasons naming every vote.
    expect(out.decision.inputs).toEqual(out.reviews.map((r) => ({ reviewer: r.reviewer, verdict: r.verdict, outcome: r.outcome })));
    expect(out.decision.inputs.map((i) => [i.reviewer, i.verdict]).sort()).toEqual(Object.entries(behaviours).sort());
    expect(out.decision.reasons.length).toBeGreaterThan(0);
    for (const [reviewer, verdict] of Object.entries(behaviours)) expect(out.decision.reasons.join(' ')).toContain(`${reviewer}: ${verdict}`);
    // Timestamped at the latest verdict, not at some wall-clock time.
    expect(out.decision.timestamp).toBe(out.reviews.map((r) => r.timestamp).sort().at(-1));
    expectValid(out);
  });

  it('uses a configured weighted policy and names it', async () => {
    const policy: PolicyConfig = { kind: 'weighted', weights: { codex: 2 } };
    const out = await decided(reviewInput(['gemini', 'codex'], { policy }), { gemini: 'approved', codex: 'concern' });
    expect(out.decision).toMatchObject({ action: 'PAUSE_AND_CLARIFY', policy: 'weighted' });
    expect(out.decision.reasons[0]).toMatch(/concern weight 2 ≥ 2/);
  });
});

describe('review machine: reviewers that do not answer count as concerns, never approval', () => {
  it('a failed reviewer is recorded as its failed concern', async () => {
    const out = await decided(reviewInput(['gemini', 'codex']), { gemini: 'approved', codex: 'failed' });
    expect(out.reviews.find((r) => r.reviewer === 'codex')).toMatchObject({ outcome: 'failed', verdict: 'concern', summary: 'the reviewer exited with code 1' });
    expect(out.decision.action).toBe('LOG_WARNING');
    expect(out.decision.reasons[0]).toContain('codex: failed (counted as concern)');
    expectValid(out);
  });

  it('an unparseable answer is recorded as an unparseable concern', async () => {
    const out = await decided(reviewInput(['gemini', 'codex']), { gemini: 'approved', codex: 'unparseable' });
    expect(out.reviews.find((r) => r.reviewer === 'codex')).toMatchObject({ outcome: 'unparseable', verdict: 'concern' });
    expect(out.decision.inputs).toContainEqual({ reviewer: 'codex', verdict: 'concern', outcome: 'unparseable' });
    expect(out.decision.action).toBe('LOG_WARNING');
    expectValid(out);
  });

  it('a crashing reviewer run (rejection) is recorded as a failed concern with the error', async () => {
    const out = await decided(reviewInput(['gemini', 'codex']), { gemini: 'approved', codex: 'reject' });
    expect(out.reviews.find((r) => r.reviewer === 'codex')).toEqual({
      reviewId: 'review-3',
      reviewer: 'codex',
      subjectWorkerId: 'implementer',
      trigger: 'milestone',
      outcome: 'failed',
      verdict: 'concern',
      summary: 'the reviewer run failed: reviewer process crashed',
      findings: [],
      timestamp: REQUESTED_AT,
    });
    expect(out.decision.action).toBe('LOG_WARNING');
    expectValid(out);
  });

  it('a rejection with a non-Error value is recorded with its text', async () => {
    const out = await decided(reviewInput(['codex']), { codex: 'reject-non-error' });
    expect(out.reviews[0]).toMatchObject({ outcome: 'failed', verdict: 'concern', summary: 'the reviewer run failed: exit 139' });
  });

  it('a non-answer that claims approval is not trusted', async () => {
    const out = await decided(reviewInput(['gemini', 'codex']), { gemini: 'approved', codex: 'inconsistent' });
    expect(out.reviews.find((r) => r.reviewer === 'codex')).toMatchObject({ outcome: 'failed', verdict: 'concern', summary: 'the reviewer run returned an inconsistent review' });
    expect(out.decision.action).toBe('LOG_WARNING');
    expectValid(out);
  });

  it('a verdict attributed to someone else is not trusted', async () => {
    const out = await decided(reviewInput(['gemini', 'codex']), { gemini: 'approved', codex: 'impostor' });
    expect(out.reviews.map((r) => r.reviewer).sort()).toEqual(['codex', 'gemini']);
    expect(out.reviews.find((r) => r.reviewer === 'codex')).toMatchObject({ outcome: 'failed', verdict: 'concern' });
    expect(out.decision.action).toBe('LOG_WARNING');
  });

  it('a reviewer that never answers times out at the backstop (simulated time), not before', async () => {
    const r = startReview(reviewInput(['gemini', 'codex']), { gemini: 'approved', codex: 'hang' });
    await settle();
    r.clock.increment(BACKSTOP - 1);
    expect(r.value()).toBe('collecting');
    expect(r.output()).toBeUndefined();
    r.clock.increment(1);
    const out = r.output();
    expect(out?.reviews.find((x) => x.reviewer === 'codex')).toEqual({
      reviewId: 'review-3',
      reviewer: 'codex',
      subjectWorkerId: 'implementer',
      trigger: 'milestone',
      outcome: 'timeout',
      verdict: 'concern',
      summary: 'no verdict within 600 s',
      findings: [],
      timestamp: REQUESTED_AT,
    });
    expect(out?.decision.action).toBe('LOG_WARNING');
    expect(out?.decision.reasons[0]).toContain('codex: timeout (counted as concern)');
    // The hung run was stopped; the one that answered was not disturbed.
    expect(r.aborted).toEqual(['codex']);
    if (out) expectValid(out);
  });

  it('everyone timing out is two concerns: pause, never continue', async () => {
    const r = startReview(reviewInput(['gemini', 'codex']), { gemini: 'hang', codex: 'hang' });
    await settle();
    r.clock.increment(BACKSTOP);
    expect(r.output()?.reviews.map((x) => x.outcome)).toEqual(['timeout', 'timeout']);
    expect(r.output()?.decision.action).toBe('PAUSE_AND_CLARIFY');
    expect(r.aborted.sort()).toEqual(['codex', 'gemini']);
  });

  it('the backstop is counted from when the reviewers start, not from the request', () => {
    const r = startReview(reviewInput(['codex']), { codex: 'hang' }, 'hang');
    r.clock.increment(10 * BACKSTOP);
    expect(r.value()).toBe('requesting');
    expect(r.output()).toBeUndefined();
  });

  it('no combination of non-answers ever yields CONTINUE', async () => {
    const bad: Behaviour[] = ['failed', 'unparseable', 'reject', 'reject-non-error', 'inconsistent', 'impostor', 'hang'];
    for (const a of bad) {
      for (const b of ['approved', ...bad] as Behaviour[]) {
        const r = startReview(reviewInput(['gemini', 'codex']), { gemini: a, codex: b });
        await settle();
        r.clock.increment(BACKSTOP);
        const out = r.output();
        expect(out, `${a}/${b}`).toBeDefined();
        expect(out?.decision.action, `${a}/${b}`).not.toBe('CONTINUE');
        expect(out?.reviews.filter((x) => x.outcome !== 'answered').every((x) => x.verdict === 'concern'), `${a}/${b}`).toBe(true);
        expect(out?.reviews, `${a}/${b}`).toHaveLength(2);
      }
    }
  });
});

describe('review machine: a request that cannot be prepared', () => {
  it('records every reviewer as failed, starts no run, and decides from those concerns', async () => {
    const r = startReview(reviewInput(['gemini', 'codex']), {}, 'reject');
    await settle();
    expect(r.runs).toEqual([]);
    const out = r.output();
    expect(out?.reviews).toEqual(
      ['gemini', 'codex'].map((reviewer) => ({
        reviewId: 'review-3',
        reviewer,
        subjectWorkerId: 'implementer',
        trigger: 'milestone',
        outcome: 'failed',
        verdict: 'concern',
        summary: 'the review request could not be prepared: git diff failed',
        findings: [],
        timestamp: REQUESTED_AT,
      })),
    );
    expect(out?.decision).toMatchObject({
      action: 'PAUSE_AND_CLARIFY',
      inputs: [
        { reviewer: 'gemini', verdict: 'concern', outcome: 'failed' },
        { reviewer: 'codex', verdict: 'concern', outcome: 'failed' },
      ],
      timestamp: REQUESTED_AT,
    });
    if (out) expectValid(out);
  });

  it('with a single reviewer that is one concern: a warning', async () => {
    const out = await decided(reviewInput(['gemini']), {}, 'reject');
    expect(out.decision.action).toBe('LOG_WARNING');
    expect(out.reviews).toHaveLength(1);
  });
});
