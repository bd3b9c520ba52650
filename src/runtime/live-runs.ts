/**
 * The agent runs of one session that have not ended yet. A stop signals every agent and the
 * session's statechart ends at once, but each agent's exit (how it ended, after the stop) is
 * only known when its process is gone: closing the event log before that left the exits out of
 * the log, so the session's history ended with agents that never stopped.
 */
export class LiveRuns {
  private readonly runs = new Set<Promise<unknown>>();

  /** `run` settles when the run has handed on its last events (its exit). */
  track(run: Promise<unknown>): void {
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.runs.add(settled);
    void settled.then(() => this.runs.delete(settled));
  }

  get size(): number {
    return this.runs.size;
  }

  /**
   * Resolves once every run tracked so far has ended (true), or when `timeoutMs` passed or
   * `giveUp` settled first (false). `onWaiting` hears, once, how many are left if that takes
   * longer than `slowMs`.
   */
  async ended(timeoutMs: number, o: { giveUp?: Promise<unknown>; onWaiting?: (left: number) => void; slowMs?: number } = {}): Promise<boolean> {
    if (this.runs.size === 0) return true;
    const timers: NodeJS.Timeout[] = [];
    const late = new Promise<false>((resolve) => {
      timers.push(setTimeout(() => resolve(false), timeoutMs));
    });
    const { onWaiting } = o;
    if (onWaiting) timers.push(setTimeout(() => this.runs.size > 0 && onWaiting(this.runs.size), o.slowMs ?? 1000));
    try {
      return await Promise.race([Promise.all([...this.runs]).then(() => true), late, ...(o.giveUp ? [o.giveUp.then(() => false)] : [])]);
    } finally {
      for (const t of timers) clearTimeout(t);
    }
  }
}
