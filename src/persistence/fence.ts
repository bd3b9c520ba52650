import { StoreError } from './store-error.js';

/**
 * The lease epochs a store instance holds, one per session it drives. Every write of such a
 * session compares the row's current epoch with the one held here inside the write's own
 * transaction; a mismatch means another orchestrator took the session over since.
 */
export class Fences {
  private readonly held = new Map<string, number>();

  hold(sessionId: string, epoch: number): void {
    this.held.set(sessionId, epoch);
  }

  drop(sessionId: string): void {
    this.held.delete(sessionId);
  }

  epochOf(sessionId: string): number | undefined {
    return this.held.get(sessionId);
  }

  /** Throws `fenced` when this store drives the session but the row has moved on to another epoch. */
  check(sessionId: string, current: number): void {
    const mine = this.held.get(sessionId);
    if (mine !== undefined && mine !== current) {
      throw new StoreError('fenced', `session ${sessionId} was taken over (lease epoch ${current}, this orchestrator held ${mine}); write refused`);
    }
  }
}
