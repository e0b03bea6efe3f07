import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquireRunLock } from '../../persistence/run-lock.ts';
import { RunLockedError } from '../../persistence/errors.ts';
import { makeTempDir } from '../helpers/temp.ts';

const lockPath = () => join(makeTempDir('buran-lock-'), 'lock');

describe('run lock', () => {
  it('refuses a second holder while the first lives, naming its pid', async () => {
    const path = lockPath();
    // A live holder that is another process: this test's parent.
    writeFileSync(path, JSON.stringify({ pid: process.ppid, start: null }));
    const error = await acquireRunLock(path, 'r1').catch((e) => e);
    expect(error).toBeInstanceOf(RunLockedError);
    expect(error.holderPid).toBe(process.ppid);
  });

  it('takes over a lock left by a dead process', async () => {
    const path = lockPath();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(path, JSON.stringify({ pid: Number(dead.stdout), start: null }));
    const lock = await acquireRunLock(path, 'r1');
    expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(process.pid);
    await lock.release();
    expect(existsSync(path)).toBe(false);
  });
});
