// The `buran` executable (dist/cli/main.js): turns on the code cache, then loads the CLI bundle
// (dist/cli/cli.js) through it. Kept apart so that nothing of the CLI is compiled before the cache is on.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileCacheDir, installCompileCache } from './compile-cache.ts';

const here = dirname(fileURLToPath(import.meta.url));
const cacheDir = compileCacheDir(process.env);
if (cacheDir !== null) installCompileCache(here, cacheDir);
createRequire(import.meta.url)(join(here, 'cli.js'));
