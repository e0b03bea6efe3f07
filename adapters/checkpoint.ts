import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitIn } from './git.ts';
import { hardenedGitEnv } from './git-hardening.ts';
import { redact } from './redact.ts';
import { buildChildEnv } from './worker-env.ts';

/**
 * Checkpoints of a fleet's run (CONTRACT 9, `fleet.remote`): a workspace lives on one host's disk,
 * so after each accepted implementer or fixer completion its files go to the fleet's git remote,
 * and a host that takes the run over starts from them. A checkpoint is a commit object of the
 * workspace's files (untracked ones too, .gitignore honoured) made with an index of its own: the
 * workspace's branch, index and files are left exactly as they were, so the handoff is unchanged.
 * It is pushed to a ref of Buran's own, never to a branch.
 */
export interface CheckpointContext {
  workspace: string;
  /** A git remote name of the workspace's repository, or a URL. */
  remote: string;
  runId: string;
  /** The environment git gets: the worker allowlist plus the config's handoff.env (credentials). */
  env: NodeJS.ProcessEnv;
  passEnv: readonly string[];
  secrets: readonly string[];
}

export const checkpointRef = (runId: string, taskId: string) => `refs/buran/checkpoints/${runId}/${taskId}`;

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

const IDENTITY = { GIT_AUTHOR_NAME: 'Buran', GIT_AUTHOR_EMAIL: 'buran@localhost', GIT_COMMITTER_NAME: 'Buran', GIT_COMMITTER_EMAIL: 'buran@localhost' };

async function gitFor(ctx: CheckpointContext, args: string[], extra: Record<string, string> = {}, push = false): Promise<string> {
  const base = buildChildEnv(ctx.env, ctx.passEnv, {});
  const out = await gitIn(base, ctx.workspace, args, { ...(await hardenedGitEnv(base, ctx.workspace, { push })), ...extra });
  if (!out.ok) throw new CheckpointError(`git ${args[0]} failed: ${redact(out.stderr, ctx.secrets) || 'no output'}`);
  return out.stdout.trim();
}

/** Pushes the workspace as it is now as the checkpoint of `taskId`; resolves to its commit. */
export async function pushCheckpoint(ctx: CheckpointContext, taskId: string): Promise<string> {
  const index = join(tmpdir(), `buran-checkpoint-${randomBytes(6).toString('hex')}`);
  const own = { GIT_INDEX_FILE: index };
  try {
    await gitFor(ctx, ['read-tree', 'HEAD'], own);
    await gitFor(ctx, ['add', '-A'], own);
    const tree = await gitFor(ctx, ['write-tree'], own);
    const commit = await gitFor(ctx, ['commit-tree', tree, '-p', 'HEAD', '-m', `buran checkpoint: run ${ctx.runId}, task ${taskId}`], IDENTITY);
    // The ref is this run's alone: a later checkpoint of the same task replaces it.
    await gitFor(ctx, ['push', '--quiet', '--force', ctx.remote, `${commit}:${checkpointRef(ctx.runId, taskId)}`], {}, true);
    return commit;
  } finally {
    await rm(index, { force: true });
  }
}

/**
 * Puts the checkpoint of `taskId` into a fresh workspace (its files only: branch and index stay
 * where the worktree was made). Null when the remote has no such checkpoint.
 */
export async function restoreCheckpoint(ctx: CheckpointContext, taskId: string): Promise<string | null> {
  try {
    await gitFor(ctx, ['fetch', '--quiet', '--no-tags', ctx.remote, checkpointRef(ctx.runId, taskId)], {}, true);
  } catch (error) {
    if (/couldn't find remote ref|no such ref/i.test((error as Error).message)) return null;
    throw error;
  }
  const commit = await gitFor(ctx, ['rev-parse', 'FETCH_HEAD']);
  await gitFor(ctx, ['restore', `--source=${commit}`, '--worktree', '--', '.']);
  return commit;
}
