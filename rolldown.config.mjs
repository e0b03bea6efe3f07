import { defineConfig } from 'rolldown';

// One bundled entry with lazily loaded command chunks: startup cost is what a CLI user feels
// (measured here: ~0.35 s for the unbundled module graph vs ~0.07 s bundled).
// `npm run build` runs scripts/build.mjs, which uses this config without the CLI's size table.
export default defineConfig({
  // The log relay is a second entry (one small process per driver); the inspector lays its chart out in a worker thread.
  input: { main: 'cli/main.ts', 'log-relay': 'adapters/relay/log-relay.ts', 'inspector-layout': 'inspector/layout-worker.ts' },
  platform: 'node',
  external: [/^node:/],
  logLevel: 'warn',
  output: {
    dir: 'dist/cli', format: 'esm', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js',
    banner: (chunk) => (chunk.isEntry ? '#!/usr/bin/env node' : ''),
    minify: process.env.BURAN_MINIFY === '1',
  },
});
