import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // Actor tests spawn real processes; two cores are shared with them.
    pool: 'forks',
    // Builds dist/ once (when stale) before any file runs the CLI.
    globalSetup: ['test/global-build.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
