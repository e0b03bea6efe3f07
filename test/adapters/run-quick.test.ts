import { describe, expect, it } from 'vitest';
import { runQuick } from '../../adapters/git.ts';

describe('runQuick (git and other helper programs)', () => {
  it('kills a program that outlives its bound and says so, instead of waiting on it', async () => {
    const started = Date.now();
    const result = await runQuick('sleep', ['30'], process.cwd(), process.env, 300);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.code).toBeNull();
    expect(result.error).toBe('sleep 30 did not finish in 300 ms and was killed');
  });

  it('reports exit codes and output, and a program that cannot start', async () => {
    expect(await runQuick('sh', ['-c', 'echo out; echo err >&2; exit 3'], process.cwd(), process.env)).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    // A PATH of readable folders: one this user may not search (/root/… as another user) makes it EACCES.
    const missing = await runQuick('no-such-program-here', [], process.cwd(), { ...process.env, PATH: '/usr/bin:/bin' });
    expect(missing.code).toBeNull();
    expect(missing.error).toContain('ENOENT');
  });
});
