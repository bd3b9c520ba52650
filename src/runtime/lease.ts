import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { startTicks } from './stale-agents.js';

/** How long a session's (or a remote run's) lease lasts unrenewed; it is renewed every third of it. */
export const LEASE_TTL_MS = 15_000;

/** ORCHESTRATE_LEASE_TTL_MS overrides it (tests shorten it); anything not a sane number is ignored. */
export function leaseTtlFromEnv(env: NodeJS.ProcessEnv): number {
  const parsed = z.coerce.number().int().min(1_000).max(600_000).safeParse(env.ORCHESTRATE_LEASE_TTL_MS);
  return env.ORCHESTRATE_LEASE_TTL_MS && parsed.success ? parsed.data : LEASE_TTL_MS;
}

/**
 * Owners are `host:pid:startTicks:nonce`; a holder is dead when it is on this host and that pid
 * is gone or is now another process (different start time).
 */
export function holderIsDead(owner: string): boolean {
  const [host, pidText, ticks] = owner.split(':');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || !ticks) return false;
  return startTicks(pid) !== ticks;
}

export const leaseOwner = (): string => `${hostname()}:${process.pid}:${startTicks(process.pid) ?? '0'}:${randomBytes(3).toString('hex')}`;
