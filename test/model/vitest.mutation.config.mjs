// Vitest config for Stryker's mutation runs: the in-process machine tests only (CLI tests run the prebuilt dist/ bundle, which mutants never reach).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: [
      'test/machines/**/*.test.ts',
      'test/model/run-model.test.ts',
      'test/model/worker-task-model.test.ts',
      'test/model/coverage-guard.test.ts',
      'test/model/machine-views.test.ts',
      'test/model/machine-units.test.ts',
    ],
    testTimeout: 60_000,
  },
});
