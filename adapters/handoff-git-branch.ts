import { mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EFFECTS } from '../persistence/port.ts';
import { readHandoff } from './dispatch-records.ts';
import { gitIn } from './git.ts';
import { handoffLocal, type LocalHandoffContext } from './handoff-local.ts';
import { redact } from './redact.ts';
import { COMMIT_BOUNDS, findingLines, fixHeading, moreFindings, oneLine, passedCommands } from './handoff-story-text.ts';
import { hardenedGitEnv } from './git-hardening.ts';

/** What the git handoffs need beyond the local one. `env` is used to run git and gh, never recorded. */
export interface GitHandoffContext extends LocalHandoffContext {
  /** git remote to push to, e.g. "origin". */
  remote: string;
  /** git-branch: push the branch to `remote` too (a fleet's run: its host's clone is no place to hand off). */
  push?: boolean;
  /** gh executable (a name on env.PATH or an absolute path). */
  gh: string;
  /** The whole environment for git and gh (PATH, HOME, GH_TOKEN …): nothing else is inherited. */
  env: NodeJS.ProcessEnv;
}

/** Where a git handoff went: the local record's fields plus the branch, its commit, the push and the PR. */
export interface GitHandoffRecord {
  kind: 'git-branch' | 'github-pr';
  patch_path: string | null;
  summary_path: string;
  files_changed: number;
  target: { repo: string; base_branch: string; intended_branch: string };
  branch: string;
  commit: string;
  pushed: boolean;
  pr: { number: number; url: string; action: 'created' | 'updated' } | null;
}

/** A handoff that cannot be done safely; the message names what failed and the fix. */
export class HandoffFailed extends Error {
  override name = 'HandoffFailed';
}

/**
 * The `git-branch` handoff: writes the local patch and summary, then commits the workspace's change
 * (untracked files included) to the packet's intended branch without touching the user's index.
 * Idempotent: a recorded result is returned as is, and a commit already carrying this run's and
 * epoch's trailers on the branch tip is reused rather than made twice.
 */
export async function handoffGitBranch(ctx: GitHandoffContext): Promise<GitHandoffRecord> {
  const recorded = await readHandoff<GitHandoffRecord>(ctx.records, 'git-branch');
  if (recorded !== null) return recorded;

  const top = await workTreeTop(ctx);
  const branch = ctx.plan.intended_branch;
  if (!(await gitFor(ctx, top, ['check-ref-format', '--branch', branch])).ok) {
    throw new HandoffFailed(`git-branch handoff: "${branch}" is not a valid branch name: fix scm_target.intended_branch in the packet`);
  }
  const local = await handoffLocal(ctx);
  const commit = await commitToBranch(ctx, top, branch);
  if (ctx.push === true) await pushBranch(ctx, branch, 'git-branch');
  const record: GitHandoffRecord = {
    kind: 'git-branch', patch_path: local.patch_path, summary_path: local.summary_path, files_changed: commit.files,
    target: local.target, branch, commit: commit.sha, pushed: ctx.push === true, pr: null,
  };
  await ctx.records.write(EFFECTS.handoff('git-branch'), record);
  return record;
}

/** Pushes the branch to ctx.remote, never forced; a refusal is a HandoffFailed with the fix. */
export async function pushBranch(ctx: GitHandoffContext, branch: string, kind: 'git-branch' | 'github-pr'): Promise<void> {
  const ref = `refs/heads/${branch}`;
  // The user's own credential helpers and ssh command, not ones the repository's config adds.
  const out = await gitFor(ctx, ctx.workspace, ['push', '--quiet', ctx.remote, `${ref}:${ref}`], await hardenedGitEnv(ctx.env, ctx.workspace, { push: true }));
  if (!out.ok) {
    throw new HandoffFailed(
      `${kind} handoff: pushing "${branch}" to remote "${ctx.remote}" failed: ${out.stderr || 'no output'}. `
      + 'Fix: check the remote name (handoff.remote) and your push access; a rejected non-fast-forward means the remote branch has other commits: '
      + 'merge or delete it there, or choose another intended_branch',
    );
  }
}

/**
 * Runs git in ctx.env (the allowlist, nothing else of the driver's), with every program the
 * repository's config could make git run turned off (hardenedGitEnv); stderr comes back redacted.
 */
export async function gitFor(ctx: GitHandoffContext, cwd: string, args: string[], extra: Record<string, string> = {}) {
  const outcome = await gitIn(ctx.env, cwd, args, { ...(await hardeningOf(ctx, cwd)), ...extra });
  return { ...outcome, stderr: redact(outcome.stderr, ctx.secrets) };
}

// Looked up once per handoff: the repository's filter drivers do not change between its git steps.
const hardening = new WeakMap<GitHandoffContext, Promise<Record<string, string>>>();
function hardeningOf(ctx: GitHandoffContext, cwd: string): Promise<Record<string, string>> {
  let found = hardening.get(ctx);
  if (found === undefined) {
    found = hardenedGitEnv(ctx.env, cwd);
    hardening.set(ctx, found);
  }
  return found;
}

/** Like run, but a failure throws HandoffFailed naming the git command and its reason. */
async function must(ctx: GitHandoffContext, cwd: string, args: string[], extra: Record<string, string> = {}): Promise<string> {
  const outcome = await gitFor(ctx, cwd, args, extra);
  if (!outcome.ok) throw new HandoffFailed(`git-branch handoff: \`git ${args[0]}\` failed in ${cwd}: ${outcome.stderr || 'no output'}`);
  return outcome.stdout.trim();
}

async function workTreeTop(ctx: GitHandoffContext): Promise<string> {
  const inside = await gitFor(ctx, ctx.workspace, ['rev-parse', '--is-inside-work-tree']);
  const top = inside.ok && inside.stdout.trim() === 'true' ? await gitFor(ctx, ctx.workspace, ['rev-parse', '--show-toplevel']) : null;
  if (top === null || !top.ok) {
    throw new HandoffFailed('git-branch handoff needs a git workspace: use --repo DIR or a git checkout as --workspace');
  }
  return top.stdout.trim();
}

/** Resolves a revision to a commit id, or null when it does not exist. */
async function resolveCommit(ctx: GitHandoffContext, top: string, rev: string): Promise<string | null> {
  const out = await gitFor(ctx, top, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  return out.ok ? out.stdout.trim() : null;
}

async function commitToBranch(ctx: GitHandoffContext, top: string, branch: string): Promise<{ sha: string; files: number }> {
  const ref = `refs/heads/${branch}`;
  const head = await resolveCommit(ctx, top, 'HEAD');
  const tip = await resolveCommit(ctx, top, ref);
  const current = (await gitFor(ctx, top, ['symbolic-ref', '--quiet', 'HEAD'])).stdout.trim() === ref;

  // A crash after update-ref but before the record: the tip is this run's and epoch's commit.
  if (tip !== null && (await carriesTrailers(ctx, top, tip))) {
    if (current) await must(ctx, top, ['reset', '--quiet']);
    return { sha: tip, files: await filesOf(ctx, top, tip) };
  }
  if (!current) await refuseUnsafeBranch(ctx, top, branch, tip, head);

  const scratch = await mkdtemp(join(tmpdir(), 'buran-handoff-git-'));
  try {
    const index = { GIT_INDEX_FILE: join(scratch, 'index') };
    if (head !== null) await must(ctx, top, ['read-tree', head], index);
    await must(ctx, top, ['add', '-A'], index);
    const tree = await must(ctx, top, ['write-tree'], index);
    const headTree = head === null ? null : await must(ctx, top, ['rev-parse', `${head}^{tree}`]);
    if (tree === headTree) {
      // Nothing changed: an empty commit says nothing, so the branch simply points at HEAD.
      if (tip !== head) await must(ctx, top, ['update-ref', '-m', 'buran: handoff (no changes)', ref, head!, tip ?? '']);
      return { sha: head!, files: 0 };
    }
    const message = join(scratch, 'message');
    await writeFile(message, redact(commitMessage(ctx), ctx.secrets));
    const parent = head === null ? [] : ['-p', head];
    // --no-gpg-sign: commit.gpgSign with a planted gpg.program would run a program of the workspace's choosing.
    const sha = await must(ctx, top, [...(await identityFallback(ctx, top)), 'commit-tree', '--no-gpg-sign', tree, ...parent, '-F', message]);
    await must(ctx, top, ['update-ref', '-m', `buran: handoff of run ${ctx.runId}`, ref, sha, tip ?? '']);
    // The working tree already equals the new commit; only the index still describes the old HEAD.
    if (current) await must(ctx, top, ['reset', '--quiet']);
    return { sha, files: await filesOf(ctx, top, sha) };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Fails closed when moving the branch would drop its commits or change another checkout under its user. */
async function refuseUnsafeBranch(ctx: GitHandoffContext, top: string, branch: string, tip: string | null, head: string | null): Promise<void> {
  if (tip !== null && tip !== head && (head === null || !(await gitFor(ctx, top, ['merge-base', '--is-ancestor', tip, head])).ok)) {
    throw new HandoffFailed(
      `git-branch handoff: branch "${branch}" already exists at ${tip.slice(0, 12)}, which the workspace's HEAD does not contain; `
      + 'committing would drop its commits: merge or delete that branch, or choose another intended_branch in the packet',
    );
  }
  const list = await gitFor(ctx, top, ['worktree', 'list', '--porcelain']);
  const here = await realpath(top);
  for (const block of list.stdout.split('\n\n')) {
    const path = /^worktree (.+)$/m.exec(block)?.[1];
    if (path === undefined || !block.split('\n').includes(`branch refs/heads/${branch}`)) continue;
    if ((await realpath(path).catch(() => path)) === here) continue;
    throw new HandoffFailed(
      `git-branch handoff: branch "${branch}" is checked out in ${path}; moving it would leave that checkout out of step: `
      + 'check out another branch there, or hand off from that worktree',
    );
  }
}

async function carriesTrailers(ctx: GitHandoffContext, top: string, commit: string): Promise<boolean> {
  const out = await gitFor(ctx, top, ['show', '-s', '--format=%(trailers:only,unfold)', commit]);
  const lines = out.stdout.split('\n').map((l) => l.trim());
  return lines.includes(`Buran-Run: ${ctx.runId}`) && lines.includes(`Buran-Epoch: ${ctx.epoch}`);
}

async function filesOf(ctx: GitHandoffContext, top: string, commit: string): Promise<number> {
  const names = await must(ctx, top, ['diff-tree', '-r', '--root', '--no-commit-id', '--name-only', commit]);
  return names.split('\n').filter(Boolean).length;
}

/** `-c user.name/email` only for what neither the repo nor the user's config provides. */
async function identityFallback(ctx: GitHandoffContext, top: string): Promise<string[]> {
  const args: string[] = [];
  if (!(await gitFor(ctx, top, ['config', '--get', 'user.name'])).ok) args.push('-c', 'user.name=Buran');
  if (!(await gitFor(ctx, top, ['config', '--get', 'user.email'])).ok) args.push('-c', 'user.email=buran@localhost');
  return args;
}

/** `<task_id>: <goal>` on one line, at most `max` characters. */
export function handoffTitle(ctx: GitHandoffContext, max: number): string {
  const title = `${ctx.plan.task_id}: ${ctx.plan.goal.trim().split('\n')[0]!.trim()}`;
  return title.length <= max ? title : `${title.slice(0, max - 1).trimEnd()}…`;
}

/**
 * The commit: subject, goal, criteria, then the run's story in first lines (the summary has the
 * rest), bounded so `git log` stays readable; the Buran-Run / Buran-Epoch trailers come last, as
 * a crashed handoff finds its own commit again by them.
 */
export function commitMessage(ctx: GitHandoffContext): string {
  const subject = handoffTitle(ctx, 72);
  const goal = ctx.plan.goal.trim();
  const { story } = ctx;
  const b = COMMIT_BOUNDS;
  const capped = <T>(items: T[], max: number, line: (item: T) => string[]) => [
    ...items.slice(0, max).flatMap(line), ...(items.length > max ? [`- … and ${items.length - max} more`] : []),
  ];
  const fixes = story.fixes.length === 0 ? ['No gate failed.'] : capped(story.fixes, MAX_ENTRIES, (fix) => [
    `- ${fixHeading(fix)}`,
    ...fix.findings.slice(0, b.findings).map((f) => `  ${findingLines(f, b)[0]}`),
    ...(moreFindings(fix.findings, b) ? [`  ${moreFindings(fix.findings, b)}`] : []),
  ]);
  return [
    subject, '',
    ...(subject.endsWith(goal) ? [] : [goal, '']),
    'Acceptance criteria:', ...capped(ctx.plan.acceptance_criteria, MAX_ENTRIES, (c) => [`- ${oneLine(c, b.width)}`]), '',
    `Verification passed in epoch ${story.passed.epoch}:`, ...(story.passed.commands.length ? passedCommands(story).map((c) => `- ${oneLine(c, b.width)}`) : ['- (no record)']), '',
    ...(story.review ? [oneLine(`Review (${story.review.task_id}): PASS. ${story.review.summary}`, b.width).trimEnd(), ''] : []),
    'Work:', ...(story.work.length ? capped(story.work, MAX_ENTRIES, (w) => [oneLine(`- ${w.task_id} (${w.role}): ${w.summary || '(no summary)'}`, b.width)]) : ['- (none recorded)']), '',
    'Fix history:', ...fixes, '',
    `Buran-Run: ${ctx.runId}`,
    `Buran-Epoch: ${ctx.epoch}`, '',
  ].join('\n');
}

// Lists in a commit body stop here; the summary carries the rest.
const MAX_ENTRIES = 12;
