// `buran logs ID [TASK_ID] [-f]` and `buran diff ID` through the built CLI.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buran, makeSandbox, runIn, statusOf, until, writeConfig, writePacket } from '../helpers/sandbox.ts';
import { openGate, startCli, writeGatedConfig } from '../helpers/live-run.ts';
import { makeRepo } from '../helpers/git-repo.ts';

describe('buran logs', () => {
  it('prints every worker and verification log of a fix-loop run, oldest first, each under a header naming it', async () => {
    const sb = makeSandbox();
    writeFileSync(join(sb.workspace, 'check-exit.txt'), '1,0');
    const run = await runIn(sb, writeConfig(sb, { implementer: ['ok'], fixer: ['ok'], reviewer: ['pass'] }), writePacket(sb));
    expect(run.code, run.stderr).toBe(0);
    const tasks = (await statusOf(sb, run.runId)).tasks as Array<{ task_id: string }>;

    const logs = await buran(['logs', run.runId, '--registry', sb.registry]);
    expect(logs.code, logs.stderr).toBe(0);
    const headers = logs.stdout.split('\n').filter((l) => l.startsWith('==> '));
    expect(headers.map((h) => h.replace(/ <==.*/, ''))).toEqual([
      `==> ${tasks[0]!.task_id}: implementer, attempt 1, epoch 1, completed (exit 0)`,
      '==> verification, epoch 1, command 1: node check.mjs, failed (exit 1)',
      `==> ${tasks[1]!.task_id}: fixer, attempt 1, epoch 2, completed (exit 0)`,
      '==> verification, epoch 2, command 1: node check.mjs, passed (exit 0)',
      `==> ${tasks[2]!.task_id}: reviewer, attempt 1, epoch 2, completed (exit 0), verdict PASS`,
    ]);
    expect(headers[1]).toContain(join(sb.registry, 'runs', run.runId, 'epochs', '1', 'command-1.log'));
    // The failing command's own output sits under its header.
    const failed = logs.stdout.split(headers[1]!)[1]!.split('==> ')[0]!;
    expect(failed).toContain('check failed: expected 3 widgets, got 2');

    const json = await buran(['logs', run.runId, '--json', '--registry', sb.registry]);
    const sections = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(sections.map((s) => [s.kind, s.outcome])).toEqual([['worker', 'completed'], ['verification', 'failed'], ['worker', 'completed'], ['verification', 'passed'], ['worker', 'completed']]);
    expect(sections[1].text).toContain('check failed');

    // One task's log only.
    const fixer = await buran(['logs', run.runId, tasks[1]!.task_id, '--registry', sb.registry]);
    expect(fixer.code).toBe(0);
    expect(fixer.stdout.split('\n').filter((l) => l.startsWith('==> '))).toHaveLength(1);
    expect(fixer.stdout).toContain(`==> ${tasks[1]!.task_id}: fixer`);
  });

  it('redacts what it prints: a log a live worker has not had redacted yet shows no secret', async () => {
    const sb = makeSandbox();
    const run = await runIn(sb, writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }), writePacket(sb));
    const task = ((await statusOf(sb, run.runId)).tasks as Array<{ task_id: string }>)[0]!.task_id;
    // As a worker still running would leave it: straight from its stdout, with a secret and a token.
    writeFileSync(join(sb.registry, 'runs', run.runId, 'tasks', task, 'output.log'), 'key hunter2-very-secret and ghp_abcdefghijklmnopqrstuvwxyz0123456789\n');
    const logs = await buran(['logs', run.runId, task, '--registry', sb.registry], { env: { MY_API_KEY: 'hunter2-very-secret' } });
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('key [REDACTED] and [REDACTED]');
    expect(logs.stdout).not.toContain('hunter2');
    expect(logs.stdout).not.toContain('ghp_');
  });

  it('an invalid run or task id is exit 2, an unknown one exit 5, with nothing on stdout', async () => {
    const sb = makeSandbox();
    const run = await runIn(sb, writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }), writePacket(sb));
    for (const [args, code, words] of [
      [['logs', '../etc'], 2, 'not a run id'],
      [['logs', 'no-such-run'], 5, 'not in the registry'],
      [['logs', run.runId, 'bad/task'], 2, 'not a task id'],
      [['logs', run.runId, 't9-nobody'], 5, 'is not a task of run'],
      [['diff', '../etc'], 2, 'not a run id'],
      [['diff', 'no-such-run'], 5, 'not in the registry'],
    ] as const) {
      const result = await buran([...args, '--registry', sb.registry]);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(code);
      expect(result.stderr).toContain(words);
      expect(result.stdout).toBe('');
    }
  });

  it('-f follows a live run: prints output as workers write it and ends by itself when the run ends', { timeout: 60_000 }, async () => {
    const sb = makeSandbox();
    const config = writeGatedConfig(sb, { implementer: { mode: 'ok', gated: true }, reviewer: { mode: 'pass', gated: true } });
    const run = startCli(['run', writePacket(sb), '--config', config, '--workspace', sb.workspace, '--registry', sb.registry]);
    try {
      await until(() => run.out().includes('\n'), 20_000);
      const runId = run.out().split('\n')[0]!;
      const follow = startCli(['logs', runId, '-f', '--registry', sb.registry]);
      // The implementer's first line shows while it waits at its gate: the follower read a live log.
      await until(() => follow.out().includes('implementer speaking: before the gate'), 20_000);
      expect(follow.out()).not.toContain('after the gate');
      openGate(sb, 'implementer');
      await until(() => follow.out().includes('reviewer speaking: before the gate'), 20_000);
      expect(follow.out()).toContain('implementer speaking: after the gate');
      expect(follow.out()).toContain('==> verification, epoch 1, command 1: node check.mjs');
      openGate(sb, 'reviewer');

      expect(await run.exited).toBe(0);
      expect(await follow.exited).toBe(0);
      const text = follow.out();
      for (const line of ['implementer speaking: before the gate', 'implementer speaking: after the gate', 'reviewer speaking: before the gate', 'reviewer speaking: after the gate']) {
        expect(text.split('\n').filter((l) => l === line), line).toHaveLength(1);
      }
      expect(text.indexOf('implementer speaking: after the gate')).toBeLessThan(text.indexOf('reviewer speaking: before the gate'));
      // Once it ended, the follower's output is what a plain read prints (headers say how each ended).
      const plain = await buran(['logs', runId, '--registry', sb.registry]);
      const lines = (s: string) => s.split('\n').filter((l) => l !== '' && !l.startsWith('==> '));
      expect(lines(text)).toEqual(lines(plain.stdout));
    } finally {
      run.proc.kill('SIGKILL');
    }
  });

  it('-f on a run no process drives prints what there is and says so instead of waiting forever', async () => {
    const sb = makeSandbox();
    const stopped = await runIn(sb, writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }), writePacket(sb), ['--until', 'verification']);
    expect(stopped.code).toBe(6);
    const follow = await buran(['logs', stopped.runId, '-f', '--registry', sb.registry]);
    expect(follow.code).toBe(0);
    expect(follow.stdout).toContain(': implementer, attempt 1');
    expect(follow.stderr).toMatch(/no process drives it/);
  });
});

describe('buran diff', () => {
  it('an unfinished run: the worktree\'s change against HEAD, untracked files included, without touching its index', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['review-blocked'], args: { implementer: ['--touch', 'src/count.js'] } }, { lease: { wait_ms: 0 } });
    const run = await buran(['run', writePacket(sb), '--repo', r.repo, '--config', config, '--registry', sb.registry, '--run-id', 'kept'], { env: r.env });
    expect(run.code, run.stderr).toBe(3);
    const worktree = join(sb.registry, 'worktrees', 'kept');
    writeFileSync(join(worktree, 'notes.txt'), 'an untracked file\n');
    const git = (...args: string[]) => spawnGit(worktree, r.env, args);
    const index = join(r.repo, '.git', 'worktrees', 'kept', 'index');
    const before = { status: git('status', '--porcelain'), index: statSync(index).mtimeMs };

    const diff = await buran(['diff', 'kept', '--registry', sb.registry], { env: r.env });
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stderr).toContain(`workspace ${worktree}`);
    expect(diff.stdout).toContain('diff --git a/src/count.js b/src/count.js');
    expect(diff.stdout).toContain('+implementer t1-implementer');
    expect(diff.stdout).toContain('diff --git a/notes.txt b/notes.txt');
    expect(diff.stdout).toContain('+an untracked file');
    // Read only: the worktree's index is not rewritten (checked before git status, which may refresh it) and its status is as it was.
    expect(statSync(index).mtimeMs).toBe(before.index);
    expect(git('status', '--porcelain')).toBe(before.status);
    // The patch is the change: applied to a clean checkout of main it gives the worktree's files.
    const patch = sb.path('kept.patch');
    writeFileSync(patch, diff.stdout);
    spawnGit(r.repo, r.env, ['apply', '--check', patch]);

    const json = JSON.parse((await buran(['diff', 'kept', '--json', '--registry', sb.registry], { env: r.env })).stdout);
    expect(json).toMatchObject({ run_id: 'kept', source: 'workspace', path: worktree });
    expect(json.patch).toBe(diff.stdout);
  });

  it('a handed-off run: the handoff patch; a registry inside the workspace is never part of a workspace diff', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'], args: { implementer: ['--touch', 'fixed.txt'] } }, { lease: { wait_ms: 0 } });
    const done = await buran(['run', writePacket(sb), '--repo', r.repo, '--config', config, '--registry', sb.registry, '--run-id', 'done'], { env: r.env });
    expect(done.code, done.stderr).toBe(0);
    const patchFile = join(sb.registry, 'runs', 'done', 'handoff', 'patch.diff');
    const diff = await buran(['diff', 'done', '--registry', sb.registry], { env: r.env });
    expect(diff.code).toBe(0);
    expect(diff.stdout).toBe(readFileSync(patchFile, 'utf8'));
    expect(diff.stdout).toContain('+implementer t1-implementer');
    expect(diff.stderr).toContain(patchFile);

    // The user's own checkout as the workspace, the default registry inside it, a run stopped mid-way.
    const inside = join(r.repo, '.buran');
    const stopped = await buran(['run', writePacket(sb), '--workspace', r.repo, '--config', config, '--registry', inside, '--until', 'verification'], { cwd: r.repo, env: r.env });
    expect(stopped.code, stopped.stderr).toBe(6);
    const runId = stopped.stdout.split('\n')[0]!;
    const mid = await buran(['diff', runId, '--registry', inside], { env: r.env });
    expect(mid.code).toBe(0);
    expect(mid.stdout).toContain('diff --git a/fixed.txt b/fixed.txt');
    expect(mid.stdout).not.toContain('.buran');
  });

  it('a workspace that is not a git repository has no diff: nothing on stdout, the reason on stderr', async () => {
    const sb = makeSandbox();
    const run = await runIn(sb, writeConfig(sb, { implementer: ['ok'], reviewer: ['review-blocked'] }), writePacket(sb));
    expect(run.code).toBe(3);
    const diff = await buran(['diff', run.runId, '--registry', sb.registry]);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toBe('');
    expect(diff.stderr).toContain('not a git repository');
    expect(existsSync(join(sb.registry, 'runs', run.runId, 'handoff'))).toBe(false);
  });
});

function spawnGit(cwd: string, env: Record<string, string>, args: string[]): string {
  return execFileSync('git', args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
}
