import { existsSync } from 'node:fs';
import { mkdir, realpath, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { GitOutcome } from './git.ts';
import { hardenedGitIn, metadataGitIn } from './git-hardening.ts';

/** A run's own worktree: where it is, which checkout it belongs to, its branch and base. */
export interface WorktreeSpec {
  repo: string;
  path: string;
  branch: string;
  base: string;
}

/** Why a worktree could not be made, with git's own words and the fix. */
export class WorktreeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorktreeError';
  }
}

const BRANCH_EXISTS = /a branch named .* already exists/;
const CHECKED_OUT = /is already (checked out|used by worktree) at/;

// Worktrees share their checkout's config, which a worker of an earlier run could have written:
// git runs here as it does for the handoff (no hooks, filters or fsmonitor; a worker's environment).
const run = (cwd: string, args: string[]): Promise<GitOutcome> => hardenedGitIn(process.env, cwd, args);
// Commands that check nothing out (see metadataGitIn).
const ask = (cwd: string, args: string[]): Promise<GitOutcome> => metadataGitIn(process.env, cwd, args);

/**
 * Makes (or finds again) the run's worktree on its intended branch: a new branch from the
 * base when the branch does not exist yet, else the existing branch as it is (a rerun
 * continues from it). Idempotent: a worktree already on the branch is reused; one a crash
 * left half-made is removed and made again. Callers serialize calls per repository: two
 * `git worktree add` at once can read each other's half-made records and fail.
 */
export async function prepareWorktree(spec: WorktreeSpec): Promise<PreparedWorktree> {
  if (await isOurWorktree(spec)) return { path: spec.path, branch: spec.branch, head: await head(spec.path), reused: true, continued: null };
  // Half-made by a crash: removed (and git's record of it pruned) before it is made again.
  if (existsSync(spec.path)) await removeWorktree(spec.repo, spec.path);
  await mkdir(dirname(spec.path), { recursive: true });
  // Most runs make a new branch: tried first, so the usual case is one git process.
  let added = await run(spec.repo, ['worktree', 'add', '-b', spec.branch, spec.path, spec.base]);
  if (!added.ok && !BRANCH_EXISTS.test(added.stderr)) added = await run(spec.repo, ['worktree', 'add', '-b', spec.branch, spec.path, await baseRef(spec)]);
  const continuing = !added.ok && BRANCH_EXISTS.test(added.stderr);
  if (continuing) added = await run(spec.repo, ['worktree', 'add', spec.path, spec.branch]);
  // A worktree removed by hand (its folder gone) still holds its branch in git's records until pruned.
  if (!added.ok && CHECKED_OUT.test(added.stderr)) {
    await pruneWorktrees(spec.repo);
    added = await run(spec.repo, continuing ? ['worktree', 'add', spec.path, spec.branch] : ['worktree', 'add', '-b', spec.branch, spec.path, await baseRef(spec)]);
  }
  if (!added.ok) {
    throw new WorktreeError(`git worktree add for branch ${spec.branch} in ${spec.repo} failed: ${added.stderr || 'no reason given'}`);
  }
  // git says "HEAD is now at <sha> …": no extra process to ask it again.
  const from = /HEAD is now at ([0-9a-f]{7,40})/.exec(`${added.stdout}\n${added.stderr}`)?.[1] ?? null;
  return { path: spec.path, branch: spec.branch, head: from, reused: false, continued: continuing ? await divergence(spec) : null };
}

/** Where a prepared worktree is; `continued` says how far an existing branch was from its base. */
export interface PreparedWorktree {
  path: string;
  branch: string;
  head: string | null;
  /** The worktree was already there (a resumed run). */
  reused: boolean;
  /** The intended branch existed and is continued: commits ahead of and behind the base. */
  continued: { ahead: number; behind: number; base: string } | null;
}

/** Commits on the branch that the base lacks (ahead), and on the base that the branch lacks (behind). */
async function divergence(spec: WorktreeSpec): Promise<{ ahead: number; behind: number; base: string }> {
  const base = await baseRef(spec).catch(() => null);
  if (base === null) return { ahead: -1, behind: -1, base: spec.base };
  const counts = await ask(spec.repo, ['rev-list', '--left-right', '--count', `${base}...refs/heads/${spec.branch}`]);
  const [behind, ahead] = counts.ok ? counts.stdout.trim().split(/\s+/).map(Number) : [-1, -1];
  return { ahead: ahead ?? -1, behind: behind ?? -1, base: spec.base };
}

/**
 * Removes a worktree and its administrative files; the branch and its commits stay. `prune:
 * false` leaves git's bookkeeping of a folder git could not remove for one `pruneWorktrees`
 * after many removals.
 */
export async function removeWorktree(repo: string, path: string, options: { prune?: boolean } = {}): Promise<void> {
  // git removes the folder and its records in one go; what it refuses (a folder it does not
  // know as a worktree, say one a crash left half-made) is removed by hand and pruned.
  // Forced twice, git checks nothing in the worktree (no status, so no filter) before removing it.
  if ((await ask(repo, ['worktree', 'remove', '--force', '--force', path])).ok) return;
  await rm(path, { recursive: true, force: true });
  if (options.prune !== false) await pruneWorktrees(repo);
}

/** Drops git's records of worktrees whose folders are gone. */
export async function pruneWorktrees(repo: string): Promise<void> {
  await ask(repo, ['worktree', 'prune']);
}

/** The checkout's top folder, resolved; a folder that is not in a git work tree is an error. */
export async function checkoutRoot(dir: string): Promise<string> {
  const top = await ask(dir, ['rev-parse', '--show-toplevel']);
  if (!top.ok) throw new WorktreeError(`${dir} is not a git checkout: --repo (or workspace.repo) needs one`);
  return realpath(top.stdout.trim());
}

async function isOurWorktree(spec: WorktreeSpec): Promise<boolean> {
  if (!existsSync(spec.path)) return false;
  const top = await ask(spec.path, ['rev-parse', '--show-toplevel']);
  if (!top.ok || (await realpath(top.stdout.trim()).catch(() => '')) !== (await realpath(spec.path))) return false;
  const branch = await ask(spec.path, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
  return branch.ok && branch.stdout.trim() === spec.branch;
}

// The base may be a local branch, a remote-tracking one, or any commit-ish.
async function baseRef(spec: WorktreeSpec): Promise<string> {
  for (const ref of [`refs/heads/${spec.base}`, `refs/remotes/origin/${spec.base}`, spec.base]) {
    const found = await ask(spec.repo, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    if (found.ok) return found.stdout.trim();
  }
  throw new WorktreeError(`base branch ${JSON.stringify(spec.base)} (scm_target.base_branch) is not in ${spec.repo}, locally or as origin/${spec.base}: fetch it or fix the packet`);
}

async function head(path: string): Promise<string> {
  return (await ask(path, ['rev-parse', 'HEAD'])).stdout.trim();
}
