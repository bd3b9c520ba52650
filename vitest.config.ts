import { defineConfig } from 'vitest/config';

/**
 * Suites whose assertions depend on timing under load (leases renewed every few seconds,
 * takeovers, partitions, PostgreSQL clusters started per file): they run after the others, one
 * file at a time, so that nothing else competes with them for the two cores CI has.
 */
const SERIAL = [
  'test/remote/**/*.test.ts',
  'test/runtime/lease*.test.ts',
  'test/persistence/pg-store.test.ts',
  'test/persistence/postgres/**/*.test.ts',
  'test/server/stream-pg.test.ts',
];

export default defineConfig({
  test: {
    // Actor tests spawn real processes; two cores are shared with them.
    pool: 'forks',
    // Builds dist/ once (when stale) before any file runs the CLI.
    globalSetup: ['test/global-build.ts', 'test/global-temp.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        // Most files wait on child processes far more than they compute: two at a time on two
        // cores keeps both busy (one at a time left CI at ~1.2 cores of load).
        test: { name: 'main', include: ['test/**/*.test.ts', 'test/**/*.test.tsx'], exclude: SERIAL, maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      { extends: true, test: { name: 'timing', include: SERIAL, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
