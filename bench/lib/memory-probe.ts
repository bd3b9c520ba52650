import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { writeHeapSnapshot } from 'node:v8';

/**
 * Memory diagnostics for a scenario's measured window, off unless asked for:
 * - BENCH_PROMOTED_PROFILE=<file>: a sampling heap profile of the objects that outlived a young
 *   GC and died later (promoted garbage: what grows the old space and makes scavenges slow);
 *   open it in Chrome DevTools (Memory → Load) or sum it by function. With BENCH_ALLOCATIONS=1 it
 *   holds every allocation instead, young garbage too (what makes scavenges frequent).
 * - BENCH_HEAP_SNAPSHOT=<file>: a heap snapshot at the end of the window (what is really live).
 */
export async function memoryProbe(): Promise<{ stop(): Promise<void> }> {
  const profileFile = process.env.BENCH_PROMOTED_PROFILE;
  const snapshotFile = process.env.BENCH_HEAP_SNAPSHOT;
  const session = profileFile ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: process.env.BENCH_ALLOCATIONS === '1' });
  }
  return {
    stop: async () => {
      if (session && profileFile) {
        writeFileSync(profileFile, JSON.stringify((await session.post('HeapProfiler.stopSampling')).profile));
        session.disconnect();
      }
      if (snapshotFile) writeHeapSnapshot(snapshotFile);
    },
  };
}
