import { describe, expect, it } from 'vitest';
import { fourRulePolicy, weightedPolicy, type PolicyVote } from '../../src/machines/decision-policy.js';
import { VERDICTS, type DecisionAction, type Verdict } from '../../src/protocol/index.js';

/** Every multiset of up to three verdicts, in every order. */
function combinations(max: number): Verdict[][] {
  const out: Verdict[][] = [[]];
  let frontier: Verdict[][] = [[]];
  for (let n = 1; n <= max; n++) {
    frontier = frontier.flatMap((c) => VERDICTS.map((v) => [...c, v]));
    out.push(...frontier);
  }
  return out;
}

/** The seed's rules written independently of the implementation. */
function expected(verdicts: Verdict[]): DecisionAction {
  if (verdicts.length === 0) return 'LOG_WARNING';
  if (verdicts.includes('blocker')) return 'STOP_AND_ESCALATE';
  const concerns = verdicts.filter((v) => v === 'concern').length;
  if (concerns >= 2) return 'PAUSE_AND_CLARIFY';
  if (concerns === 1) return 'LOG_WARNING';
  return 'CONTINUE';
}

const votes = (verdicts: Verdict[]): PolicyVote[] =>
  verdicts.map((verdict, i) => ({ reviewer: ['gemini', 'claude', 'codex'][i] ?? 'x', verdict, outcome: 'answered' }));

describe('four-rule policy', () => {
  const all = combinations(3);
  it('covers every combination of up to 3 verdicts (1 + 3 + 9 + 27)', () => {
    expect(all).toHaveLength(40);
  });

  it.each(all.map((c) => [c.join(',') || '(none)', c] as const))('%s', (_label, verdicts) => {
    const result = fourRulePolicy.decide(votes([...verdicts]));
    expect(result.action).toBe(expected([...verdicts]));
    expect(result.reasons.length).toBeGreaterThan(0);
  });

  it('counts a reviewer that timed out as a concern and says so', () => {
    const r = fourRulePolicy.decide([
      { reviewer: 'codex', verdict: 'concern', outcome: 'timeout' },
      { reviewer: 'gemini', verdict: 'approved', outcome: 'answered' },
    ]);
    expect(r.action).toBe('LOG_WARNING');
    expect(r.reasons[0]).toMatch(/codex: timeout \(counted as concern\)/);
  });
});

describe('weighted policy', () => {
  it('a heavy reviewer’s concern alone pauses', () => {
    const p = weightedPolicy({ weights: { codex: 2 } });
    expect(p.decide(votes(['approved', 'approved', 'concern'])).action).toBe('PAUSE_AND_CLARIFY');
    expect(p.decide(votes(['concern', 'approved', 'approved'])).action).toBe('LOG_WARNING');
  });

  it('a required approver who did not approve keeps it from CONTINUE', () => {
    const p = weightedPolicy({ weights: {}, requiredApprovers: ['codex'] });
    expect(p.decide(votes(['approved', 'approved'])).action).toBe('LOG_WARNING');
    expect(p.decide(votes(['approved', 'approved', 'approved'])).action).toBe('CONTINUE');
  });

  it('a blocker always escalates, whatever the weights', () => {
    expect(weightedPolicy({ weights: { gemini: 0 } }).decide(votes(['blocker'])).action).toBe('STOP_AND_ESCALATE');
  });
});
