import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { handoffGitBranch, handoffGithubPr, HandoffFailed, type GitHandoffContext } from '../../adapters/handoff-git.ts';
import { bareStory } from '../../adapters/handoff-story.ts';
import { readPacket } from '../../schemas/packet.ts';
import { scratchRecords } from '../helpers/records.ts';
import { readHandoff } from '../../adapters/dispatch-records.ts';
import { EFFECTS } from '../../persistence/port.ts';
import { PACKET, ROOT } from '../helpers/sandbox.ts';
import { makeTempDir } from '../helpers/temp.ts';

const GH = join(ROOT, 'test', 'fixtures', 'gh');
const BRANCH = 'buran/fixture-1';
const TOKEN = 'ghp_0123456789abcdefghijABCDEFGHIJ';

beforeAll(() => chmodSync(GH, 0o755));

/** A repo on main with one commit, an unstaged edit, an untracked file, and a bare `origin`. */
function setup() {
  const dir = makeTempDir('buran-handoff-git-');
  const home = join(dir, 'home');
  mkdirSync(home);
  // No global or system git config: the repo has no identity unless a test gives it one.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), GIT_CONFIG_NOSYSTEM: '1',
    GH_STANDIN_LOG: join(dir, 'gh.log'), GH_STANDIN_STATE: join(dir, 'gh-state.json'), GH_TOKEN: TOKEN,
  };
  const repo = join(dir, 'repo');
  const bare = join(dir, 'origin.git');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, env, encoding: 'utf8' }).trim();
  const commit = (message: string) => git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', message);
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', bare], { env });
  mkdirSync(repo);
  git('init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'a.txt'), 'one\n');
  writeFileSync(join(repo, '.gitignore'), 'ignored.txt\n');
  git('add', '.');
  commit('init');
  git('remote', 'add', 'origin', bare);
  git('push', '-q', 'origin', 'main');
  writeFileSync(join(repo, 'a.txt'), 'two\n');
  writeFileSync(join(repo, 'new.txt'), 'brand new\n');
  writeFileSync(join(repo, 'ignored.txt'), 'not handed off\n');

  const { plan } = readPacket(JSON.parse(readFileSync(PACKET, 'utf8')));
  const handoffDir = join(dir, 'handoff');
  const ctx: GitHandoffContext = {
    records: scratchRecords(), handoffDir, workspace: repo, plan, runId: 'run-7', epoch: 2, secrets: [TOKEN],
    story: { ...bareStory(2), review: { task_id: 't3-reviewer', summary: `looks right (token ${TOKEN} must not leak)`, findings: [] } },
    remote: 'origin', gh: GH, env,
  };
  const ghCalls = (): Array<{ argv: string[]; body?: string }> =>
    existsSync(env.GH_STANDIN_LOG!) ? readFileSync(env.GH_STANDIN_LOG!, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
  return { dir, repo, bare, env, git, commit, ctx, handoffDir, ghCalls };
}

describe('git-branch handoff', () => {
  it('commits tracked and untracked changes to the intended branch, leaving the checkout and its index alone', async () => {
    const { repo, git, ctx, handoffDir } = setup();
    writeFileSync(join(repo, 'staged.txt'), 'staged by the user\n');
    git('add', 'staged.txt');
    const head = git('rev-parse', 'HEAD');
    const statusBefore = git('status', '--porcelain');

    const record = await handoffGitBranch(ctx);
    expect(record).toMatchObject({
      kind: 'git-branch', branch: BRANCH, pushed: false, pr: null, files_changed: 3,
      target: { repo: 'acme/widgets', base_branch: 'main', intended_branch: BRANCH },
    });
    expect(git('rev-parse', `refs/heads/${BRANCH}`)).toBe(record.commit);
    expect(git('rev-parse', `${record.commit}^`)).toBe(head);
    expect(git('ls-tree', '-r', '--name-only', record.commit).split('\n')).toEqual(['.gitignore', 'a.txt', 'new.txt', 'staged.txt']);
    expect(git('show', `${record.commit}:a.txt`)).toBe('two');

    const message = git('show', '-s', '--format=%B', record.commit);
    expect(message.split('\n')[0]).toBe('fixture-1: Make the widget count right');
    expect(message).toContain('- count() returns the number of widgets');
    expect(message).toContain('Review (t3-reviewer): PASS. looks right (token');
    expect(message).not.toContain(TOKEN);
    expect(git('show', '-s', '--format=%(trailers:only,unfold)', record.commit)).toBe('Buran-Run: run-7\nBuran-Epoch: 2');
    expect(git('show', '-s', '--format=%an <%ae>', record.commit)).toBe('Buran <buran@localhost>');

    // The user's checkout: still main, same HEAD, same index (staged.txt still staged), same files.
    expect(git('symbolic-ref', '--short', 'HEAD')).toBe('main');
    expect(git('rev-parse', 'HEAD')).toBe(head);
    expect(git('status', '--porcelain')).toBe(statusBefore);
    expect(statusBefore).toContain('A  staged.txt');
    expect(readFileSync(record.patch_path!, 'utf8')).toContain('+brand new');
    expect(await readHandoff(ctx.records, 'git-branch')).toEqual(record);

    // Repeated: the recorded result, no second commit even though the workspace changed since.
    writeFileSync(join(repo, 'later.txt'), 'after the handoff\n');
    expect(await handoffGitBranch(ctx)).toEqual(record);
    expect(git('rev-parse', `refs/heads/${BRANCH}`)).toBe(record.commit);

    // A crash before the record was written: the trailers identify the commit, which is reused.
    await ctx.records.remove(EFFECTS.handoff('git-branch'));
    expect(await handoffGitBranch(ctx)).toEqual(record);
    expect(git('rev-list', '--count', BRANCH)).toBe('2');
  });

  it('on the intended branch itself: moves it, and leaves a clean status under the repo identity', async () => {
    const { git, ctx, handoffDir } = setup();
    git('checkout', '-q', '-b', BRANCH);
    git('config', 'user.name', 'Repo Person');
    git('config', 'user.email', 'repo@example.com');
    const head = git('rev-parse', 'HEAD');

    const record = await handoffGitBranch(ctx);
    expect(git('rev-parse', 'HEAD')).toBe(record.commit);
    expect(git('rev-parse', 'HEAD^')).toBe(head);
    expect(git('status', '--porcelain')).toBe('');
    expect(git('show', '-s', '--format=%an <%ae>', 'HEAD')).toBe('Repo Person <repo@example.com>');

    await ctx.records.remove(EFFECTS.handoff('git-branch'));
    expect(await handoffGitBranch(ctx)).toEqual(record);
    expect(git('rev-parse', 'HEAD')).toBe(record.commit);
    expect(git('status', '--porcelain')).toBe('');
  });

  it('fails closed when the existing branch has commits HEAD does not contain', async () => {
    const { repo, git, commit, ctx, handoffDir } = setup();
    git('stash', '-q', '-u');
    git('checkout', '-q', '-b', BRANCH);
    writeFileSync(join(repo, 'theirs.txt'), 'someone else\n');
    git('add', 'theirs.txt');
    commit('their work');
    const theirs = git('rev-parse', 'HEAD');
    git('checkout', '-q', 'main');
    git('stash', 'pop', '-q');

    const error = await handoffGitBranch(ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandoffFailed);
    expect((error as Error).message).toMatch(/branch "buran\/fixture-1" already exists .* would drop its commits/);
    expect(git('rev-parse', BRANCH)).toBe(theirs);
    expect(await readHandoff(ctx.records, 'git-branch')).toBeNull();
  });

  it('fails closed when the branch is checked out in another worktree', async () => {
    const { dir, git, ctx } = setup();
    git('worktree', 'add', '-q', '-b', BRANCH, join(dir, 'other-wt'));
    await expect(handoffGitBranch(ctx)).rejects.toThrow(/branch "buran\/fixture-1" is checked out in .*other-wt/);
    expect(git('rev-parse', BRANCH)).toBe(git('rev-parse', 'HEAD'));
  });

  it('with no change at all points the branch at HEAD instead of making an empty commit', async () => {
    const { git, ctx } = setup();
    git('stash', '-q', '-u');
    const record = await handoffGitBranch(ctx);
    expect(record).toMatchObject({ commit: git('rev-parse', 'HEAD'), files_changed: 0 });
    expect(git('rev-parse', BRANCH)).toBe(record.commit);
  });

  it('needs a git workspace', async () => {
    const { dir, ctx } = setup();
    const plain = join(dir, 'plain');
    mkdirSync(plain);
    await expect(handoffGitBranch({ ...ctx, workspace: plain })).rejects.toThrow(
      new HandoffFailed('git-branch handoff needs a git workspace: use --repo DIR or a git checkout as --workspace'),
    );
  });
});

describe('github-pr handoff', () => {
  it('pushes the branch and opens one draft PR; after a lost record it updates that PR instead', async () => {
    const { bare, ctx, handoffDir, ghCalls } = setup();
    const record = await handoffGithubPr(ctx);
    expect(record).toMatchObject({
      kind: 'github-pr', branch: BRANCH, pushed: true, files_changed: 2,
      pr: { number: 1, url: 'https://github.com/acme/widgets/pull/1', action: 'created' },
    });
    expect(execFileSync('git', ['--git-dir', bare, 'rev-parse', `refs/heads/${BRANCH}`], { encoding: 'utf8' }).trim()).toBe(record.commit);

    const calls = ghCalls();
    expect(calls.map((c) => c.argv.slice(0, 2).join(' '))).toEqual(['pr list', 'pr create']);
    expect(calls[0]!.argv).toEqual(['pr', 'list', '--repo', 'acme/widgets', '--head', BRANCH, '--state', 'open', '--json', 'number,url']);
    expect(calls[1]!.argv.join(' ')).toContain(`pr create --repo acme/widgets --draft --base main --head ${BRANCH} --title fixture-1: Make the widget count right`);
    const body = calls[1]!.body!;
    expect(body).toContain('t3-reviewer: PASS. looks right (token');
    expect(body).toContain('run-7');
    expect(body).toContain(record.commit);
    expect(body).toContain('Files changed: 2');
    expect(body).not.toContain(TOKEN);

    expect(await handoffGithubPr(ctx)).toEqual(record);
    expect(ghCalls()).toHaveLength(2);

    // A crash between `gh pr create` and the record: the open PR is found and updated.
    await ctx.records.remove(EFFECTS.handoff('github-pr'));
    const again = await handoffGithubPr(ctx);
    expect(again).toEqual({ ...record, pr: { ...record.pr, action: 'updated' } });
    const verbs = ghCalls().map((c) => c.argv.slice(0, 2).join(' '));
    expect(verbs.filter((v) => v === 'pr create')).toHaveLength(1);
    expect(verbs.slice(2)).toEqual(['pr list', 'pr edit']);
    expect(ghCalls()[3]!.argv.slice(0, 5)).toEqual(['pr', 'edit', '1', '--repo', 'acme/widgets']);
  });

  it('a failing gh is a HandoffFailed with its redacted stderr, and nothing is recorded', async () => {
    const { ctx, handoffDir } = setup();
    const error = await handoffGithubPr({ ...ctx, env: { ...ctx.env, GH_STANDIN_FAIL: '1' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandoffFailed);
    expect((error as Error).message).toContain('`gh pr list` failed for acme/widgets (exit 1): HTTP 401: Bad credentials');
    expect((error as Error).message).not.toContain(TOKEN);
    expect((error as Error).message).toContain('[REDACTED]');
    expect(await readHandoff(ctx.records, 'github-pr')).toBeNull();
  });

  it('a missing gh is a HandoffFailed that says how to fix it', async () => {
    const { dir, ctx } = setup();
    await expect(handoffGithubPr({ ...ctx, gh: join(dir, 'no-such-gh') })).rejects.toThrow(/could not run `gh pr list` .*ENOENT.*install the GitHub CLI/);
  });

  it('a rejected push names the remote and does not touch the remote branch', async () => {
    const { repo, bare, git, commit, ctx } = setup();
    git('stash', '-q', '-u');
    git('checkout', '-q', '-b', 'elsewhere');
    writeFileSync(join(repo, 'theirs.txt'), 'pushed by someone else\n');
    git('add', 'theirs.txt');
    commit('their work');
    git('push', '-q', 'origin', `HEAD:refs/heads/${BRANCH}`);
    const theirs = git('rev-parse', 'HEAD');
    git('checkout', '-q', 'main');
    git('stash', 'pop', '-q');

    const error = await handoffGithubPr(ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandoffFailed);
    expect((error as Error).message).toMatch(/pushing "buran\/fixture-1" to remote "origin" failed: .*rejected/s);
    expect(execFileSync('git', ['--git-dir', bare, 'rev-parse', `refs/heads/${BRANCH}`], { encoding: 'utf8' }).trim()).toBe(theirs);
  });
});
