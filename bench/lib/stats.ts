/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on one host. */
export const wallMs = (): number => performance.timeOrigin + performance.now();

/** The p-th percentile (0..100) by nearest rank; NaN for no samples. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export interface Spread {
  p50: number;
  p99: number;
  max: number;
  n: number;
}

export function spread(values: number[] | Float64Array): Spread {
  const sorted = Float64Array.from(values).sort();
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.length ? (sorted[sorted.length - 1] ?? Number.NaN) : Number.NaN, n: sorted.length };
}

export const median = (values: number[]): number => percentile(Float64Array.from(values).sort(), 50);

export const round = (n: number, digits = 1): number => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : n);

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
