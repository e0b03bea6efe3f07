import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each file's temp root (TMPDIR) is removed after it, with any process still using it.
    setupFiles: ['test/helpers/temp-root-setup.ts'],
    // One throwaway PostgreSQL for the run (started in the background; tests that need it wait).
    globalSetup: ['test/helpers/postgres-global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Most tests wait on child processes, not the CPU: two files at a time on this 2-core machine.
    maxWorkers: 2,
  },
});
