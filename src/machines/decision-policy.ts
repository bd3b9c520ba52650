import type { DecisionAction, PeerReview, Verdict } from '../protocol/index.js';

/** What a policy sees of each review: who, what they said, and whether they answered at all. */
export type PolicyVote = Pick<PeerReview, 'reviewer' | 'verdict' | 'outcome'>;

export interface PolicyResult {
  action: DecisionAction;
  /** Why, in words a user can check against the votes. */
  reasons: string[];
}

/** Every policy has this signature; guards call `decide` and nothing else. */
export interface DecisionPolicy {
  readonly name: string;
  decide(votes: readonly PolicyVote[]): PolicyResult;
}

const count = (votes: readonly PolicyVote[], verdict: Verdict): number => votes.filter((v) => v.verdict === verdict).length;

const describeVote = (v: PolicyVote): string =>
  v.outcome === 'answered' ? `${v.reviewer}: ${v.verdict}` : `${v.reviewer}: ${v.outcome} (counted as concern)`;

/**
 * The seed's four rules, in order: any blocker → STOP_AND_ESCALATE; two or more
 * concerns → PAUSE_AND_CLARIFY; exactly one concern → LOG_WARNING; all approved →
 * CONTINUE. With no votes at all nothing was reviewed, which is not approval: it is
 * logged as a warning so the next milestone is reviewed.
 */
export const fourRulePolicy: DecisionPolicy = {
  name: 'four-rule',
  decide(votes) {
    const summary = votes.map(describeVote).join(', ');
    const blockers = count(votes, 'blocker');
    const concerns = count(votes, 'concern');
    if (votes.length === 0) return { action: 'LOG_WARNING', reasons: ['no reviewer verdicts were collected; nothing counts as approval'] };
    if (blockers > 0) return { action: 'STOP_AND_ESCALATE', reasons: [`${blockers} blocker verdict(s): ${summary}`] };
    if (concerns >= 2) return { action: 'PAUSE_AND_CLARIFY', reasons: [`${concerns} concerns (majority rule, ≥2): ${summary}`] };
    if (concerns === 1) return { action: 'LOG_WARNING', reasons: [`exactly one concern: ${summary}`, 'continuing; the next milestone of this worker is reviewed'] };
    return { action: 'CONTINUE', reasons: [`all ${votes.length} reviewer(s) approved: ${summary}`] };
  },
};

export interface WeightedPolicyOptions {
  /** Weight per reviewer (default 1). */
  weights: Record<string, number>;
  /** Summed concern weight that pauses (default 2, the seed's majority). */
  pauseAt?: number;
  /** Reviewers whose approval is required: without it the result is at least a warning. */
  requiredApprovers?: string[];
}

/** Weighted votes with optional required approvers; a blocker still always escalates. */
export function weightedPolicy(options: WeightedPolicyOptions): DecisionPolicy {
  const weight = (reviewer: string): number => options.weights[reviewer] ?? 1;
  const pauseAt = options.pauseAt ?? 2;
  return {
    name: 'weighted',
    decide(votes) {
      const base = fourRulePolicy.decide(votes);
      if (base.action === 'STOP_AND_ESCALATE' || votes.length === 0) return base;
      const summary = votes.map((v) => `${describeVote(v)} ×${weight(v.reviewer)}`).join(', ');
      const concernWeight = votes.filter((v) => v.verdict === 'concern').reduce((n, v) => n + weight(v.reviewer), 0);
      const missing = (options.requiredApprovers ?? []).filter((r) => !votes.some((v) => v.reviewer === r && v.verdict === 'approved'));
      if (concernWeight >= pauseAt) return { action: 'PAUSE_AND_CLARIFY', reasons: [`concern weight ${concernWeight} ≥ ${pauseAt}: ${summary}`] };
      if (concernWeight > 0 || missing.length > 0) {
        const reasons = [`concern weight ${concernWeight} < ${pauseAt}: ${summary}`];
        if (missing.length > 0) reasons.push(`required approver(s) did not approve: ${missing.join(', ')}`);
        return { action: 'LOG_WARNING', reasons };
      }
      return { action: 'CONTINUE', reasons: [`all approved: ${summary}`] };
    },
  };
}

/** A policy as configuration can name it (serializable, so it can live in input and snapshots). */
export type PolicyConfig = 'four-rule' | ({ kind: 'weighted' } & WeightedPolicyOptions);

export function policyFromConfig(config: PolicyConfig): DecisionPolicy {
  return config === 'four-rule' ? fourRulePolicy : weightedPolicy(config);
}
