import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { keepLease, type LeaseLoss } from '../../src/runtime/lease.js';

describe('keepLease: a holder gives up its lease before it could run out', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'], now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const watch = (renew: (now: number) => boolean) => {
    const lost: { at: number; loss: LeaseLoss }[] = [];
    const retries: number[] = [];
    const stop = keepLease({ ttlMs: 15_000, takenAt: 0, giveUpUnconfirmed: true, renew, onRetry: () => retries.push(Date.now()), onLost: (loss) => lost.push({ at: Date.now(), loss }) });
    return { lost, retries, stop };
  };

  it('retries one failed renewal, and gives up after the second, before the lease ends', () => {
    const w = watch(() => {
      throw new Error('unreachable');
    });
    vi.advanceTimersByTime(5_000);
    expect(w.retries).toEqual([5_000]);
    expect(w.lost).toEqual([]);
    vi.advanceTimersByTime(5_000);
    // The next try (at 15 s, up to 3 s long) would end after the lease: give up now.
    expect(w.lost).toEqual([{ at: 10_000, loss: { kind: 'unconfirmed', error: new Error('unreachable') } }]);
    vi.advanceTimersByTime(30_000);
    expect(w.lost).toHaveLength(1);
  });

  it('counts from the start of the last renewal that went through', () => {
    let ok = true;
    const w = watch(() => {
      if (ok) return true;
      throw new Error('cut off');
    });
    vi.advanceTimersByTime(5_000);
    ok = false;
    // Held until 20 s: the try at 10 s is retried, the one at 15 s gives up.
    vi.advanceTimersByTime(10_000);
    expect(w.retries).toEqual([10_000]);
    expect(w.lost.map((l) => [l.at, l.loss.kind])).toEqual([[15_000, 'unconfirmed']]);
  });

  it('only retries, however late, when told not to give up (a session)', () => {
    const retries: number[] = [];
    const lost: LeaseLoss[] = [];
    keepLease({ ttlMs: 15_000, takenAt: 0, giveUpUnconfirmed: false, renew: () => {
      throw new Error('slow');
    }, onRetry: () => retries.push(Date.now()), onLost: (l) => lost.push(l) });
    vi.advanceTimersByTime(30_000);
    expect(retries).toHaveLength(6);
    expect(lost).toEqual([]);
  });

  it('stops at once when the store says another holder has it', () => {
    const w = watch(() => false);
    vi.advanceTimersByTime(5_000);
    expect(w.lost).toEqual([{ at: 5_000, loss: { kind: 'taken' } }]);
    w.stop();
  });
});
