// vitest setupFiles: every test file gets its own temp root, and TMPDIR points there, so whatever
// the file or the processes it starts put in the temp folder goes when the file ends, failed or not.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { removeTree } from './temp.ts';

const outer = process.env.TMPDIR;
const root = mkdtempSync(join(tmpdir(), 'buran-tests-'));
process.env.TMPDIR = root;

afterAll(async () => {
  if (outer === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = outer;
  // Every process this file started inherited TMPDIR=root: none outlives the file.
  await removeTree(root);
});
