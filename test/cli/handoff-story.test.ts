import { readFileSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { buran, makeSandbox, statusOf, writeConfig, writePacket, type Sandbox } from '../helpers/sandbox.ts';
import { makeRepo } from '../helpers/git-repo.ts';

const sandboxes: Sandbox[] = [];
afterEach(() => { for (const sb of sandboxes.splice(0)) rmSync(sb.dir, { recursive: true, force: true }); });

describe('the handoff tells the story (summary.md and the commit body)', () => {
  it('goal, passing commands, the reviewer, every worker, and which gate failed in which epoch with what findings', async () => {
    const sb = makeSandbox();
    sandboxes.push(sb);
    const r = makeRepo(sb);
    // Epoch 1: the implementer's change fails verification (needs-fix); epoch 2: the fixer's passes, the
    // reviewer finds a miss; epoch 3: the second fix passes both gates.
    const config = writeConfig(sb, {
      implementer: ['ok'], fixer: ['ok'], reviewer: ['fail', 'pass'],
      args: { implementer: ['--touch', 'needs-fix'], fixer: ['--touch', 'fixed.txt'] },
    }, { handoff: { kind: 'git-branch' } });
    const run = await buran(['run', writePacket(sb), '--repo', r.repo, '--config', config, '--registry', sb.registry, '--run-id', 'story'], { env: r.env });
    expect(run.code, run.stderr).toBe(0);
    const status = await statusOf(sb, 'story');
    expect(status.tasks.map((t: any) => t.task_id)).toEqual(['t1-implementer', 't2-fixer', 't3-reviewer', 't4-fixer', 't5-reviewer']);

    const summary = readFileSync(status.handoff.summary_path, 'utf8');
    const section = (name: string) => summary.split(`## ${name}`)[1]!.split('\n## ')[0]!;
    expect(section('Goal')).toContain('Make the widget count right');
    expect(section('Verification passed (epoch 3)')).toContain('- `node check.mjs` (exit 0)');
    expect(section('Review')).toContain('t5-reviewer: PASS. reviewer did pass');
    expect(section('Work').trim().split('\n')).toEqual([
      '- t1-implementer (implementer, epoch 1): implementer did ok',
      '- t2-fixer (fixer, epoch 2): fixer did ok',
      '- t4-fixer (fixer, epoch 3): fixer did ok',
    ]);
    const fixes = section('Fix history');
    expect(fixes).toContain('### Epoch 1: verification failed; fixed by t2-fixer');
    expect(fixes).toMatch(/\[error\] \/\S+epochs\/1\/command-1\.log: verification command "node check\.mjs" failed with exit code 1/);
    expect(fixes).toContain('### Epoch 2: review failed (t3-reviewer); fixed by t4-fixer');
    expect(fixes).toContain('[error] src/x.js: the change misses a criterion');
    expect(fixes.indexOf('Epoch 1')).toBeLessThan(fixes.indexOf('Epoch 2'));

    const body = r.git('log', '-1', '--format=%B', 'buran/fixture-1');
    expect(body.split('\n')[0]).toBe('fixture-1: Make the widget count right');
    expect(body).toContain('Verification passed in epoch 3:\n- node check.mjs (exit 0)');
    expect(body).toContain('Review (t5-reviewer): PASS. reviewer did pass');
    expect(body).toContain('- t2-fixer (fixer): fixer did ok');
    // The commit body names the failing command, not the registry's log path on this machine.
    expect(body).toContain('- Epoch 1: verification failed; fixed by t2-fixer\n  [error] verification command "node check.mjs" failed with exit code 1');
    expect(body).toContain('- Epoch 2: review failed (t3-reviewer); fixed by t4-fixer\n  [error] src/x.js: the change misses a criterion');
    expect(body).not.toContain(sb.registry);
    // The trailers close the message: the handoff finds its own commit by them after a crash.
    expect(body.trimEnd().split('\n').slice(-2)).toEqual(['Buran-Run: story', 'Buran-Epoch: 3']);
    expect(r.git('log', '-1', '--format=%(trailers:only,unfold)', 'buran/fixture-1')).toBe('Buran-Run: story\nBuran-Epoch: 3');
  }, 60_000);
});
