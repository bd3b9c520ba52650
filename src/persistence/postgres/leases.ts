import type { Fences } from '../fence.js';
import type { Lease } from '../types.js';
import type { SyncPg } from './sync-pg.js';

/**
 * Leases on the sessions row. Each statement decides and writes at once (no read-then-write
 * window between hosts); taking a lease bumps its epoch, and the epoch this store got is what
 * fences its later writes. `now` is the caller's clock: hosts are expected to keep their clocks
 * in step (NTP) far closer than a lease lasts.
 */
export function acquireLease(pg: SyncPg, fences: Fences, sessionId: string, owner: string, ttlMs: number, now: number): { ok: true; epoch: number } | { ok: false; holder: Lease } {
  const taken = pg.query(
    `UPDATE sessions SET lease_owner = $2, lease_expires_at = $3, lease_epoch = lease_epoch + 1
     WHERE id = $1 AND (lease_owner IS NULL OR lease_owner = $2 OR lease_expires_at <= $4) RETURNING lease_epoch`,
    [sessionId, owner, now + ttlMs, now],
  ).rows[0];
  if (taken) {
    const epoch = Number(taken.lease_epoch);
    fences.hold(sessionId, epoch);
    return { ok: true, epoch };
  }
  const row = pg.query('SELECT lease_owner, lease_expires_at, lease_epoch FROM sessions WHERE id = $1', [sessionId]).rows[0];
  if (!row) throw new Error(`unknown session ${sessionId}`);
  return { ok: false, holder: { sessionId, owner: String(row.lease_owner), expiresAt: Number(row.lease_expires_at), epoch: Number(row.lease_epoch) } };
}

export function takeOverLease(pg: SyncPg, fences: Fences, sessionId: string, from: string, to: string, ttlMs: number, now: number): boolean {
  const row = pg.query('UPDATE sessions SET lease_owner = $3, lease_expires_at = $4, lease_epoch = lease_epoch + 1 WHERE id = $1 AND lease_owner = $2 RETURNING lease_epoch', [
    sessionId,
    from,
    to,
    now + ttlMs,
  ]).rows[0];
  if (row) fences.hold(sessionId, Number(row.lease_epoch));
  return row !== undefined;
}

/**
 * How long a lease renewal may block its holder: a fifth of the lease (at least a second). A
 * holder that cannot reach the database then hears so well before its lease runs out, has
 * time for another try, and its event loop is not held for the store's whole statement timeout.
 */
export const leaseCallTimeoutMs = (ttlMs: number): number => Math.max(1_000, Math.floor(ttlMs / 5));

/** Renews only under the epoch this store took: a lease taken over meanwhile is not renewed back. */
export function renewLease(pg: SyncPg, fences: Fences, sessionId: string, owner: string, ttlMs: number, now: number): boolean {
  const epoch = fences.epochOf(sessionId) ?? null;
  const sql = 'UPDATE sessions SET lease_expires_at = $3 WHERE id = $1 AND lease_owner = $2 AND ($4::bigint IS NULL OR lease_epoch = $4)';
  return pg.query(sql, [sessionId, owner, now + ttlMs, epoch], { timeoutMs: leaseCallTimeoutMs(ttlMs) }).rowCount === 1;
}

export function releaseLease(pg: SyncPg, fences: Fences, sessionId: string, owner: string): void {
  const epoch = fences.epochOf(sessionId) ?? null;
  fences.drop(sessionId);
  pg.query('UPDATE sessions SET lease_owner = NULL, lease_expires_at = NULL WHERE id = $1 AND lease_owner = $2 AND ($3::bigint IS NULL OR lease_epoch = $3)', [sessionId, owner, epoch]);
}
