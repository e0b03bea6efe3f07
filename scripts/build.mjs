// Builds dist/ quietly: the rolldown CLI prints a size table of every chunk on each build,
// which buries the one line that matters on `npm install`. Warnings and errors still print.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';
import config, { BUILD_PLACEHOLDER } from '../rolldown.config.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
rmSync('dist', { recursive: true, force: true });
const bundle = await rolldown(config);
try {
  await bundle.write(config.output);
  // The bundle is CommonJS inside a "type": "module" package.
  writeFileSync('dist/cli/package.json', `${JSON.stringify({ type: 'commonjs' })}\n`);
  writeBuildId('dist/cli');
} finally {
  await bundle.close();
}

// The build's id is the hash of everything bundled (every file's path and bytes, the placeholder
// still in place), written where the placeholder is: a cache kept by this build is trusted by it alone.
function writeBuildId(dir) {
  const files = readdirSync(dir, { recursive: true }).map(String).filter((name) => name.endsWith('.js')).sort();
  const hash = createHash('sha256');
  for (const name of files) hash.update(`${name}\0`).update(readFileSync(join(dir, name))).update('\0');
  const id = hash.digest('hex');
  for (const name of files) {
    const text = readFileSync(join(dir, name), 'utf8');
    if (text.includes(BUILD_PLACEHOLDER)) writeFileSync(join(dir, name), text.replaceAll(BUILD_PLACEHOLDER, id));
  }
}
