import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings for a process that drives sessions, set before it does any work (the CLI's
 * entry; the bench's in-process host mirrors it). Allocation-site pretenuring: V8 notices that
 * objects from a site often survive a young GC and from then on allocates them straight in the
 * old space. A session's per-event objects (context copies, batches, entries) are such sites
 * while many sessions are busy, yet each lives only milliseconds: pretenured, they filled the
 * old space until the next full GC — with 50 sessions the heap grew ~4 MB/s to 110–170 MB before
 * one, with pretenuring off it stays at 73–76 MB (peak RSS 196–256 → 158–164 MB; bench/RESULTS.md,
 * fourth round). Throughput and latency were unchanged.
 */
export function tuneV8(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
}
