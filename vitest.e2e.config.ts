import { defineConfig } from 'vitest/config';

/**
 * End-to-end tests with the real agent CLIs. Run through scripts/e2e.sh, which installs the
 * pinned CLIs and runs this inside a loopback-only network namespace.
 */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    pool: 'forks',
    globalSetup: ['test/global-build.ts', 'test/global-temp.ts'],
    // The real CLIs start slowly (Gemini re-spawns node; Claude loads a large binary).
    testTimeout: 240_000,
    hookTimeout: 120_000,
    // Two cores: the CLIs are heavy, one file at a time keeps timings sane.
    fileParallelism: false,
  },
});
