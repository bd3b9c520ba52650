import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { leaseCallTimeoutMs } from '../persistence/postgres/leases.js';
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

/** Why a holder stopped holding its lease. */
export type LeaseLoss = { kind: 'taken' } | { kind: 'unconfirmed'; error: unknown };

/**
 * Renews a lease every third of its TTL until stopped or lost. Lost means the store said another
 * holder has it now, or a renewal failed and the next one (a third of the TTL later, taking up to
 * `leaseCallTimeoutMs`) could not be confirmed before the lease runs out by this holder's own
 * clock (it lasts from the start of the last renewal that went through): the holder gives up
 * before another host may take it over. With the default 15 s: one failed renewal is retried,
 * two in a row give up, 2 s or more before the lease ends. The epoch fence already
 * refuses every write of a holder that was taken over; giving up here also stops what the store
 * cannot fence — agent processes still working on the target — before a successor starts its own.
 */
export function keepLease(o: {
  ttlMs: number;
  /** When the lease was taken (the `now` its expiry was computed from). */
  takenAt: number;
  /** True while the lease is still this holder's; throws when the store cannot be reached. */
  renew: (now: number) => boolean;
  /**
   * Give the lease up when it cannot be confirmed in time (`unconfirmed`). Without it a failed
   * renewal is only retried, however late: for a holder whose renewals can fail while it is
   * perfectly reachable (see run-session.ts).
   */
  giveUpUnconfirmed: boolean;
  /** A renewal failed; it is tried again at the next turn. */
  onRetry: (error: unknown) => void;
  onLost: (loss: LeaseLoss) => void;
}): () => void {
  let validUntil = o.takenAt + o.ttlMs;
  const every = o.ttlMs / 3;
  const timer = setInterval(() => {
    const startedAt = Date.now();
    let held: boolean;
    try {
      held = o.renew(startedAt);
    } catch (error) {
      if (!o.giveUpUnconfirmed || startedAt + every + leaseCallTimeoutMs(o.ttlMs) < validUntil) return o.onRetry(error);
      clearInterval(timer);
      return o.onLost({ kind: 'unconfirmed', error });
    }
    if (held) validUntil = startedAt + o.ttlMs;
    else {
      clearInterval(timer);
      o.onLost({ kind: 'taken' });
    }
  }, every);
  timer.unref();
  return () => clearInterval(timer);
}
