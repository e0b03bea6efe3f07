import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileCacheDir } from '../../cli/compile-cache.ts';
import { CLI, PACKET, makeSandbox, writeConfig } from '../helpers/sandbox.ts';
import { makeTempDir } from '../helpers/temp.ts';

function buran(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }));
  });
}

const cacheFiles = (base: string) => {
  const [dir] = readdirSync(base);
  return dir === undefined ? [] : readdirSync(join(base, dir)).map((name) => join(base, dir, name));
};

describe('the code cache of the CLI bundle', () => {
  it('is written by the first command, used by the next, and a damaged cache is replaced, never a failure', async () => {
    const sb = makeSandbox();
    const cache = join(sb.dir, 'cache');
    const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] });
    const run = await buran(['run', PACKET, '--config', config, '--workspace', sb.workspace, '--registry', sb.registry, '--run-id', 'cached'], { BURAN_COMPILE_CACHE: cache });
    expect(run.code, run.stderr).toBe(0);
    const written = cacheFiles(cache);
    expect(written.some((f) => f.includes('/cli.js-'))).toBe(true);
    expect(written.some((f) => f.includes('/drive-run-'))).toBe(true);

    const first = await buran(['status', 'cached', '--registry', sb.registry, '--json'], { BURAN_COMPILE_CACHE: cache });
    for (const file of cacheFiles(cache)) writeFileSync(file, 'not a code cache');
    const damaged = await buran(['status', 'cached', '--registry', sb.registry, '--json'], { BURAN_COMPILE_CACHE: cache });
    expect(damaged).toEqual(first);
    expect(JSON.parse(first.stdout).state).toBe('ready_for_manual_review');
    // The command rewrote what it used: V8 rejected the damaged files.
    const rewritten = cacheFiles(cache).filter((f) => readFileSync(f, 'utf8') !== 'not a code cache');
    expect(rewritten.some((f) => f.includes('/cli.js-'))).toBe(true);
  });

  it('is off with BURAN_COMPILE_CACHE=off', async () => {
    const sb = makeSandbox();
    const home = join(sb.dir, 'home');
    mkdirSync(home);
    const result = await buran(['--version'], { BURAN_COMPILE_CACHE: 'off', HOME: home, XDG_CACHE_HOME: join(home, 'xdg') });
    expect(result.code).toBe(0);
    expect(readdirSync(home)).toEqual([]);
  });

  it('never uses a folder others may write into, or that another user owns', () => {
    const base = makeTempDir();
    const open = compileCacheDir({ BURAN_COMPILE_CACHE: base })!;
    expect(open).not.toBeNull();
    chmodSync(open, 0o777);
    expect(compileCacheDir({ BURAN_COMPILE_CACHE: base })).toBeNull();
    chmodSync(open, 0o700);
    expect(compileCacheDir({ BURAN_COMPILE_CACHE: base })).toBe(open);
    if (process.getuid?.() === 0) {
      chownSync(open, 65534, 65534);
      expect(compileCacheDir({ BURAN_COMPILE_CACHE: base })).toBeNull();
    }
  });
});
