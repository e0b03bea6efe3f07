import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers/sandbox.ts';

// The bounded form of bench/chaos.mjs (random SIGKILLs, resume until done, invariants checked
// against an uninterrupted run); the long form is run by hand with a large cycle count.
describe('chaos (bounded)', () => {
  it('random SIGKILLs of the driver never change how a run ends', { timeout: 120_000 }, () => {
    const result = spawnSync(process.execPath, [join(ROOT, 'bench', 'chaos.mjs'), '6', String(Date.now() % 100_000)], { encoding: 'utf8' });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/, 0 violations,/);
  });
});
