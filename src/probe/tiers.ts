import type { Role } from '../protocol/index.js';
import type { ProbeResult } from './probe.js';

export type RoleAgents = Record<Role, string>;

/** An agent that cannot be used, and why in a few words. */
export interface Unavailable {
  agent: string;
  reason: string;
}

interface TierBase {
  /** The configured role → agent map the tier was derived from. */
  roles: RoleAgents;
  /** Role agents that are unusable; `dropAgent` adds to this. */
  unavailable: Unavailable[];
  reason: string;
}

export interface TierChoice extends TierBase {
  ok: true;
  tier: 1 | 2 | 3 | 4 | 5;
  /** Who fills each role now. */
  assignments: RoleAgents;
  /**
   * Who reviews: every usable role agent except the implementing one, the reviewer role's agent
   * first. Only when the implementer is alone does it review itself (in read-only mode).
   */
  reviewers: string[];
  /** The implementer reviews its own work (read-only), because nobody else is left. */
  selfReview: boolean;
}

export interface TierError extends TierBase {
  ok: false;
}

export type TierResult = TierChoice | TierError;

/**
 * Fallback tiers (seed: Gemini+Claude+Codex, Gemini+Claude, Gemini+Codex, Claude+Codex, solo),
 * expressed over the configured roles so that any agents can fill them:
 *   1: all three role agents usable.
 *   2: architect + implementer; the architect's agent takes over reviews.
 *   3: architect + reviewer; the reviewer's agent implements, the architect's agent reviews
 *      (so code is never reviewed only by its author while another agent is left).
 *   4: implementer + reviewer; the reviewer's agent plans (a second view on the plan, and it is
 *      otherwise idle until the first review) and keeps reviewing.
 *   5: one agent does everything and reviews its own work read-only.
 * Only role agents count: an agent configured but given no role is never drafted in.
 */
export function chooseTier(roles: RoleAgents, probes: readonly Pick<ProbeResult, 'agent' | 'available' | 'reason'>[]): TierResult {
  const unavailable: Unavailable[] = [];
  for (const agent of new Set(Object.values(roles))) {
    const probe = probes.find((p) => p.agent === agent);
    if (!probe?.available) unavailable.push({ agent, reason: probe ? (probe.reason ?? 'unavailable') : 'not probed' });
  }
  return decide(roles, unavailable);
}

/** Moves down the tiers when an agent fails mid-session (auth, quota); pure. */
export function dropAgent(current: TierResult, agent: string, reason: string): TierResult {
  if (!current.ok || current.unavailable.some((u) => u.agent === agent) || !Object.values(current.roles).includes(agent)) {
    return current;
  }
  return decide(current.roles, [...current.unavailable, { agent, reason }]);
}

function decide(roles: RoleAgents, unavailable: Unavailable[]): TierResult {
  const usable = (agent: string): boolean => !unavailable.some((u) => u.agent === agent);
  const a = usable(roles.architect);
  const i = usable(roles.implementer);
  const r = usable(roles.reviewer);
  const down = unavailable.map((u) => `${u.agent} unavailable (${u.reason})`).join(', ');
  if (!a && !i && !r) return { ok: false, roles, unavailable, reason: `no agent available: ${down}` };

  let tier: TierChoice['tier'];
  let assignments: RoleAgents;
  let change = '';
  if (a && i) {
    tier = r ? 1 : 2;
    assignments = { ...roles, reviewer: r ? roles.reviewer : roles.architect };
  } else if (a && r) {
    tier = 3;
    assignments = { architect: roles.architect, implementer: roles.reviewer, reviewer: roles.architect };
    change = `${roles.reviewer} implements`;
  } else if (i && r) {
    tier = 4;
    assignments = { ...roles, architect: roles.reviewer };
    change = `${roles.reviewer} plans`;
  } else {
    tier = 5;
    const solo = [roles.architect, roles.implementer, roles.reviewer].find(usable) ?? roles.architect;
    assignments = { architect: solo, implementer: solo, reviewer: solo };
    change = `${solo} does everything`;
  }
  const others = [assignments.reviewer, roles.reviewer, roles.architect, roles.implementer].filter(
    (agent) => usable(agent) && agent !== assignments.implementer,
  );
  const selfReview = others.length === 0;
  const reviewers = selfReview ? [assignments.implementer] : [...new Set(others)];
  const reviews = selfReview ? `${assignments.implementer} reviews its own work read-only` : `reviews by ${reviewers.join(', ')}`;
  const what = tier === 1 ? `${[...new Set(Object.values(roles))].join(', ')} available` : down;
  const reason = `tier ${tier}: ${[what, change, reviews].filter(Boolean).join('; ')}`;
  return { ok: true, tier, roles, unavailable, assignments, reviewers, selfReview, reason };
}
