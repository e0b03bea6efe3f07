import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buran, eventsOf, makeSandbox, statusOf, writeConfig, writePacket, type Sandbox } from '../helpers/sandbox.ts';
import { GH, makeRepo, type FixtureRepo } from '../helpers/git-repo.ts';

const BRANCH = 'buran/fixture-1';

function configFor(sb: Sandbox, handoff: Record<string, unknown>) {
  return writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'], args: { implementer: ['--touch', 'fixed.txt'] } }, {
    handoff,
    lease: { wait_ms: 0 },
  });
}

async function runRepo(sb: Sandbox, r: FixtureRepo, config: string, extra: string[] = []) {
  const result = await buran(['run', writePacket(sb), '--repo', r.repo, '--config', config, '--registry', sb.registry, ...extra], { env: r.env });
  return { ...result, runId: result.stdout.split('\n')[0] ?? '' };
}

describe('--repo: a worktree per run, on the intended branch', () => {
  it('works in its own worktree from the base branch; git-branch commits the change there; the worktree is gone after handoff; the checkout is untouched', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    const main = r.git('rev-parse', 'main');
    const result = await runRepo(sb, r, configFor(sb, { kind: 'git-branch' }), ['--run-id', 'wt1']);
    expect(result.code, result.stderr).toBe(0);

    const worktree = join(sb.registry, 'worktrees', 'wt1');
    const events = await eventsOf(sb, 'wt1');
    expect(events.find((e) => e.type === 'workspace.ready')).toMatchObject({ path: worktree, branch: BRANCH, head: main.slice(0, 7) });
    // The implementer worked in the worktree: its file is in the commit, made from main, with the packet's message and the run's trailers.
    expect(r.git('show', `${BRANCH}:fixed.txt`)).toMatch(/^implementer t1-implementer/);
    expect(r.git('rev-parse', `${BRANCH}~1`)).toBe(main);
    const message = r.git('log', '-1', '--format=%B', BRANCH);
    expect(message).toMatch(/^fixture-1: Make the widget count right/);
    expect(message).toContain('Buran-Run: wt1');
    // Handed off: the worktree is removed (the branch keeps the change), and git no longer lists it.
    expect(events.find((e) => e.type === 'workspace.removed')).toMatchObject({ path: worktree });
    expect(existsSync(worktree)).toBe(false);
    expect(r.git('worktree', 'list', '--porcelain')).not.toContain(worktree);
    // The user's checkout: still on main, same commit, nothing changed, no stray files.
    expect(r.git('symbolic-ref', '--short', 'HEAD')).toBe('main');
    expect(r.git('rev-parse', 'HEAD')).toBe(main);
    expect(r.git('status', '--porcelain')).toBe('');

    const status = await statusOf(sb, 'wt1');
    expect(status.workspace).toEqual({ path: worktree, repo: r.repo, branch: BRANCH, present: false });
    expect(status.handoff).toMatchObject({ kind: 'git-branch', branch: BRANCH, commit: r.git('rev-parse', BRANCH), pushed: false });
    expect(status.leases).toEqual([]);
  });

  it('a run that ends without a handoff keeps its worktree until buran clean; clean refuses a run that is not finished', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['review-blocked'], args: { implementer: ['--touch', 'fixed.txt'] } }, { lease: { wait_ms: 0 } });
    expect((await runRepo(sb, r, config, ['--run-id', 'kept'])).code).toBe(3);
    const kept = join(sb.registry, 'worktrees', 'kept');
    expect(readFileSync(join(kept, 'fixed.txt'), 'utf8')).toMatch(/^implementer/);

    const packet = writePacket(sb, { task_id: 'other', scm_target: { repo: 'acme/widgets', base_branch: 'main', intended_branch: 'buran/other' } }, 'other.json');
    const stopped = await buran(['run', packet, '--repo', r.repo, '--config', config, '--registry', sb.registry, '--run-id', 'live', '--until', 'running'], { env: r.env });
    expect(stopped.code).toBe(6);
    const refused = await buran(['clean', 'live', '--registry', sb.registry], { env: r.env });
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('not finished');
    expect(existsSync(join(sb.registry, 'worktrees', 'live'))).toBe(true);

    // A run whose record is unreadable is listed, not silently passed over, and does not stop the sweep.
    mkdirSync(join(sb.registry, 'runs', 'broken'));
    writeFileSync(join(sb.registry, 'runs', 'broken', 'run.json'), '{ not json');
    const cleaned = await buran(['clean', '--registry', sb.registry, '--json'], { env: r.env });
    expect(cleaned.code, cleaned.stderr).toBe(0);
    const lines = cleaned.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ run_id: 'broken', removed: null, skipped: expect.stringMatching(/^not cleaned: .*run\.json/) });
    expect(lines[1]).toEqual({ run_id: 'kept', removed: kept, skipped: null });
    expect((await buran(['clean', 'broken', '--registry', sb.registry], { env: r.env })).code).toBe(5);
    expect(existsSync(kept)).toBe(false);
    expect(r.git('worktree', 'list', '--porcelain')).not.toContain(kept);
    expect(r.git('rev-parse', '--verify', BRANCH)).toBe(r.git('rev-parse', 'main'));
    expect(existsSync(join(sb.registry, 'worktrees', 'live'))).toBe(true);
  });

  it('github-pr pushes the branch to the remote and opens one draft PR; a second run on the branch updates it', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    const config = configFor(sb, { kind: 'github-pr', gh: GH, allowed_repos: ['acme/widgets'], env: ['GH_STANDIN_LOG', 'GH_STANDIN_STATE'] });
    const first = await runRepo(sb, r, config, ['--run-id', 'pr1']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('pull request: https://github.com/acme/widgets/pull/1 (created, draft)');
    expect(first.stdout).toMatch(/commit: [0-9a-f]{40} on buran\/fixture-1 \(pushed\)/);
    const status = await statusOf(sb, 'pr1');
    expect(status.handoff).toMatchObject({ kind: 'github-pr', pushed: true, pr: { number: 1, url: 'https://github.com/acme/widgets/pull/1', action: 'created' } });
    expect(r.bareGit('rev-parse', `refs/heads/${BRANCH}`)).toBe(status.handoff.commit);
    const calls = () => readFileSync(r.env.GH_STANDIN_LOG!, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).argv as string[]);
    const create = calls().find((argv) => argv[0] === 'pr' && argv[1] === 'create')!;
    expect(create).toEqual(expect.arrayContaining(['--draft', '--base', 'main', '--head', BRANCH, '--repo', 'acme/widgets']));

    // pr1's worktree went with its handoff, so the branch is free: the next run continues it and updates the same PR.
    const second = await runRepo(sb, r, config, ['--run-id', 'pr2']);
    expect(second.code, second.stderr).toBe(0);
    expect((await statusOf(sb, 'pr2')).handoff.pr).toMatchObject({ number: 1, action: 'updated' });
    expect(calls().filter((argv) => argv[1] === 'create')).toHaveLength(1);
  });

  it('refuses a github-pr run for a repo not on the allowlist before any worker starts', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    const result = await runRepo(sb, r, configFor(sb, { kind: 'github-pr', gh: GH, allowed_repos: ['acme/other'] }));
    expect(result.code).toBe(3);
    const status = await statusOf(sb, result.runId);
    expect(status.blocker).toMatchObject({ code: 'policy_denied' });
    expect(status.blocker.message).toContain('handoff.allowed_repos');
    expect(sb.calls('implementer')).toHaveLength(0);
    expect(existsSync(join(sb.registry, 'worktrees', result.runId))).toBe(false);
  });

  it('--repo that is not a git checkout is exit 2 with nothing written', async () => {
    const sb = makeSandbox();
    const result = await buran(['run', writePacket(sb), '--repo', sb.workspace, '--config', configFor(sb, { kind: 'local' }), '--registry', sb.registry]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not a git checkout');
    expect(existsSync(sb.registry)).toBe(false);
  });

  it('a base branch the repo does not have blocks the run with the fix, not an internal error', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    const packet = writePacket(sb, { scm_target: { repo: 'acme/widgets', base_branch: 'release-9', intended_branch: 'buran/x' } });
    const result = await buran(['run', packet, '--repo', r.repo, '--config', configFor(sb, { kind: 'local' }), '--registry', sb.registry], { env: r.env });
    expect(result.code, result.stderr).toBe(3);
    const status = await statusOf(sb, result.stdout.split('\n')[0]!);
    expect(status.blocker.code).toBe('adapter_unavailable');
    expect(status.blocker.message).toContain('base branch "release-9"');
  });
});
