import { describe, expect, it } from 'vitest';
import { chooseTier, dropAgent } from '../../src/probe/tiers.js';
import type { TierChoice, TierResult } from '../../src/probe/tiers.js';

const roles = { architect: 'gemini', implementer: 'claude', reviewer: 'codex' };
const probes = (available: string[]) =>
  ['gemini', 'claude', 'codex'].map((agent) =>
    available.includes(agent) ? { agent, available: true } : { agent, available: false, reason: 'not on PATH' },
  );
const choice = (result: TierResult): TierChoice => {
  if (!result.ok) throw new Error(result.reason);
  return result;
};
const summary = (result: TierResult) => {
  const c = choice(result);
  return { tier: c.tier, assignments: c.assignments, reviewers: c.reviewers, selfReview: c.selfReview, reason: c.reason };
};

describe('chooseTier: every subset of the three agents', () => {
  it('tier 1: all three', () => {
    expect(summary(chooseTier(roles, probes(['gemini', 'claude', 'codex'])))).toEqual({
      tier: 1,
      assignments: roles,
      reviewers: ['codex', 'gemini'],
      selfReview: false,
      reason: 'tier 1: gemini, claude, codex available; reviews by codex, gemini',
    });
  });

  it('tier 2: architect + implementer, the architect reviews', () => {
    expect(summary(chooseTier(roles, probes(['gemini', 'claude'])))).toEqual({
      tier: 2,
      assignments: { architect: 'gemini', implementer: 'claude', reviewer: 'gemini' },
      reviewers: ['gemini'],
      selfReview: false,
      reason: 'tier 2: codex unavailable (not on PATH); reviews by gemini',
    });
  });

  it('tier 3: architect + reviewer, the reviewer agent implements and the architect reviews', () => {
    expect(summary(chooseTier(roles, probes(['gemini', 'codex'])))).toEqual({
      tier: 3,
      assignments: { architect: 'gemini', implementer: 'codex', reviewer: 'gemini' },
      reviewers: ['gemini'],
      selfReview: false,
      reason: 'tier 3: claude unavailable (not on PATH); codex implements; reviews by gemini',
    });
  });

  it('tier 4: implementer + reviewer, the reviewer agent plans and reviews', () => {
    expect(summary(chooseTier(roles, probes(['claude', 'codex'])))).toEqual({
      tier: 4,
      assignments: { architect: 'codex', implementer: 'claude', reviewer: 'codex' },
      reviewers: ['codex'],
      selfReview: false,
      reason: 'tier 4: gemini unavailable (not on PATH); codex plans; reviews by codex',
    });
  });

  it.each(['gemini', 'claude', 'codex'])('tier 5: only %s, which reviews itself read-only', (solo) => {
    const others = ['gemini', 'claude', 'codex'].filter((a) => a !== solo);
    expect(summary(chooseTier(roles, probes([solo])))).toEqual({
      tier: 5,
      assignments: { architect: solo, implementer: solo, reviewer: solo },
      reviewers: [solo],
      selfReview: true,
      reason: `tier 5: ${others.map((o) => `${o} unavailable (not on PATH)`).join(', ')}; ${solo} does everything; ${solo} reviews its own work read-only`,
    });
  });

  it('no agent: an error', () => {
    const result = chooseTier(roles, probes([]));
    expect(result.ok).toBe(false);
    expect(result.reason).toBe(
      'no agent available: gemini unavailable (not on PATH), claude unavailable (not on PATH), codex unavailable (not on PATH)',
    );
  });
});

describe('chooseTier: configured roles', () => {
  it('treats an agent without a probe as unavailable', () => {
    const result = choice(chooseTier(roles, [{ agent: 'gemini', available: true }, { agent: 'claude', available: true }]));
    expect(result.tier).toBe(2);
    expect(result.unavailable).toEqual([{ agent: 'codex', reason: 'not probed' }]);
  });

  it('works with any agent names and ignores agents without a role', () => {
    const custom = { architect: 'aider', implementer: 'claude', reviewer: 'aider' };
    const result = choice(
      chooseTier(custom, [
        { agent: 'aider', available: true },
        { agent: 'claude', available: true },
        { agent: 'gemini', available: true },
      ]),
    );
    expect(result.tier).toBe(1);
    expect(result.reviewers).toEqual(['aider']);
  });

  it('lets one agent holding every role review itself', () => {
    const solo = { architect: 'claude', implementer: 'claude', reviewer: 'claude' };
    const result = choice(chooseTier(solo, [{ agent: 'claude', available: true }]));
    expect(result).toMatchObject({ tier: 1, reviewers: ['claude'], selfReview: true });
  });
});

describe('dropAgent', () => {
  const tier1 = chooseTier(roles, probes(['gemini', 'claude', 'codex']));

  it('moves down a tier when an agent fails mid-session', () => {
    const dropped = choice(dropAgent(tier1, 'codex', 'quota exhausted'));
    expect(dropped.tier).toBe(2);
    expect(dropped.reason).toBe('tier 2: codex unavailable (quota exhausted); reviews by gemini');
    expect(choice(dropAgent(tier1, 'claude', 'auth failed')).tier).toBe(3);
    expect(choice(dropAgent(tier1, 'gemini', 'auth failed')).tier).toBe(4);
  });

  it('keeps moving down, to an error when nobody is left', () => {
    const t2 = dropAgent(tier1, 'codex', 'quota');
    const t5 = choice(dropAgent(t2, 'gemini', 'auth'));
    expect(t5).toMatchObject({ tier: 5, assignments: { architect: 'claude', implementer: 'claude', reviewer: 'claude' } });
    expect(t5.unavailable).toEqual([
      { agent: 'codex', reason: 'quota' },
      { agent: 'gemini', reason: 'auth' },
    ]);
    const none = dropAgent(t5, 'claude', 'auth');
    expect(none.ok).toBe(false);
    expect(dropAgent(none, 'claude', 'again')).toBe(none);
  });

  it('ignores agents that are already out or have no role', () => {
    const t2 = dropAgent(tier1, 'codex', 'quota');
    expect(dropAgent(t2, 'codex', 'again')).toBe(t2);
    expect(dropAgent(tier1, 'aider', 'auth')).toBe(tier1);
  });
});
