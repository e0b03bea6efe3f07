// Builds dist/ quietly: the rolldown CLI prints a size table of every chunk on each build,
// which buries the one line that matters on `npm install`. Warnings and errors still print.
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';
import config from '../rolldown.config.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
rmSync('dist', { recursive: true, force: true });
const bundle = await rolldown(config);
try {
  await bundle.write(config.output);
  // The bundle is CommonJS inside a "type": "module" package.
  writeFileSync('dist/cli/package.json', `${JSON.stringify({ type: 'commonjs' })}\n`);
} finally {
  await bundle.close();
}
