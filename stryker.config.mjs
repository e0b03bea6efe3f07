// Mutation testing of machines/ with Stryker's vitest runner: `npm run test:mutation` (not part of `npm test`).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // related: false — machine-units.test.ts imports machines/ inside its tests (so load failures count), which
  // vitest's related-files lookup would not see.
  vitest: { configFile: 'test/model/vitest.mutation.config.mjs', related: false },
  mutate: ['machines/**/*.ts'],
  // The model tests build their paths in beforeAll, so Stryker sees that code as static and runs every test for it.
  coverageAnalysis: 'perTest',
  concurrency: 2,
  timeoutMS: 10_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'test-output/mutation/index.html' },
  jsonReporter: { fileName: 'test-output/mutation/report.json' },
  tempDirName: 'test-output/stryker-tmp',
  // TypeScript 7 (native) has no JS API, which Stryker's tsconfig rewriting calls; vitest needs no tsconfig rewrite here.
  tsconfigFile: 'no-tsconfig-rewrite.json',
  ignorePatterns: ['dist', 'test-output', '.buran', 'examples', 'bench'],
  cleanTempDir: true,
  thresholds: { high: 90, low: 75, break: null },
};
