import { defineConfig } from 'rolldown';

/** Put into the bundle where its build id goes, until scripts/build.mjs has hashed the bundle. */
export const BUILD_PLACEHOLDER = 'buran-build-not-yet-hashed-000000000000000000000000000000000000000';

// One bundled entry with lazily loaded command chunks: startup cost is what a CLI user feels
// (measured here: ~0.35 s for the unbundled module graph vs ~0.07 s bundled).
// CommonJS, not ESM: Node 20 loads it faster (no ESM loader per chunk) and, through cli/boot.ts,
// with a V8 code cache. dist/cli/package.json (written by scripts/build.mjs) says so to Node.
// `npm run build` runs scripts/build.mjs, which uses this config without the CLI's size table.
export default defineConfig({
  // main: the executable (boot, then cli); the log relay is a second entry (one small process per
  // driver); the inspector lays its chart out in a worker thread.
  input: {
    main: 'cli/boot.ts', cli: 'cli/main.ts', 'log-relay': 'adapters/relay/log-relay.ts', 'inspector-layout': 'inspector/layout-worker.ts',
  },
  platform: 'node',
  // The build's id: scripts/build.mjs replaces this placeholder with the hash of the bundle it wrote
  // (persistence/build-id.ts).
  transform: { define: { __BURAN_BUILD__: JSON.stringify(BUILD_PLACEHOLDER) } },
  external: [/^node:/],
  logLevel: 'warn',
  output: {
    dir: 'dist/cli', format: 'cjs', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js',
    banner: (chunk) => (chunk.name === 'main' ? '#!/usr/bin/env node' : ''),
    minify: process.env.BURAN_MINIFY === '1',
  },
});
