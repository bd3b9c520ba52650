import { describe, expect, it } from 'vitest';
import { LiveRuns } from '../../src/runtime/live-runs.js';

/** A promise settled from outside. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve = (): void => undefined;
  let reject = (_e: Error): void => undefined;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('LiveRuns', () => {
  it('has nothing to wait for when no run is live', async () => {
    expect(await new LiveRuns().ended(10_000)).toBe(true);
  });

  it('waits for every run, a failed one too, and forgets the ones that ended', async () => {
    const runs = new LiveRuns();
    const [a, b] = [deferred(), deferred()];
    runs.track(a.promise);
    runs.track(b.promise);
    expect(runs.size).toBe(2);
    let ended: boolean | undefined;
    const waiting = runs.ended(10_000).then((v) => (ended = v));
    a.resolve();
    await new Promise((r) => setImmediate(r));
    expect(ended).toBeUndefined();
    expect(runs.size).toBe(1);
    b.reject(new Error('the run failed'));
    await waiting;
    expect(ended).toBe(true);
    expect(runs.size).toBe(0);
  });

  it('gives up after the timeout, or at once when asked to', async () => {
    const runs = new LiveRuns();
    const stuck = deferred();
    runs.track(stuck.promise);
    expect(await runs.ended(20)).toBe(false);
    const giveUp = deferred();
    const waiting = runs.ended(10_000, { giveUp: giveUp.promise });
    giveUp.resolve();
    expect(await waiting).toBe(false);
    // Still tracked: a later wait can see it end.
    expect(runs.size).toBe(1);
    stuck.resolve();
    expect(await runs.ended(10_000)).toBe(true);
  });

  it('says once how many runs are left when the wait is slow, and nothing when it is not', async () => {
    const runs = new LiveRuns();
    const [slow, quick] = [deferred(), deferred()];
    runs.track(slow.promise);
    const heard: number[] = [];
    const waiting = runs.ended(10_000, { onWaiting: (n) => heard.push(n), slowMs: 20 });
    await new Promise((r) => setTimeout(r, 60));
    slow.resolve();
    expect(await waiting).toBe(true);
    expect(heard).toEqual([1]);
    runs.track(quick.promise);
    const fast = runs.ended(10_000, { onWaiting: (n) => heard.push(n), slowMs: 50 });
    quick.resolve();
    expect(await fast).toBe(true);
    await new Promise((r) => setTimeout(r, 80));
    expect(heard).toEqual([1]);
  });
});
