import { existsSync } from 'node:fs';
import type { JournalDraft } from '../persistence/journal-entries.ts';
import type { Registry } from '../persistence/port.ts';
import type { RunMeta } from '../persistence/records.ts';
import { runRecords, type RunRecords } from '../persistence/run-records.ts';
import { runLayout, worktreeMutexPath, worktreePath } from '../persistence/layout.ts';
import { withFileMutex } from '../persistence/file-mutex.ts';
import { prepareWorktree } from '../adapters/worktree.ts';
import { runWorkspaceSetup } from '../adapters/workspace-setup.ts';
import { readOutcome, readSetup } from '../adapters/dispatch-records.ts';
import { restoreCheckpoint } from '../adapters/checkpoint.ts';

/** Where a runner host (`buran worker`) drives a submitted run: a worktree of its own clone. */
export interface RunnerPlacement {
  host: string;
  /** The host's clone of the repository (`buran worker --repo`). */
  repo: string;
  /** How the host got the run: from the queue, or over from a host that stopped heartbeating. */
  claim: 'queued' | 'takeover';
}

/** The run as this host drives it: its workspace is a worktree under this host's work root. */
export function placedMeta(meta: RunMeta, workRoot: string, placement: RunnerPlacement | undefined): RunMeta {
  if (placement === undefined) return meta;
  return { ...meta, repo: placement.repo, workspace: worktreePath(workRoot, meta.run_id) };
}

/** What a taken-over run needs before its chart moves on here. */
export interface TakeoverContext {
  registry: Registry;
  meta: RunMeta;
  placement: RunnerPlacement;
  /** The restored run's state; null for a run that has not started. */
  state: string | null;
  env: NodeJS.ProcessEnv;
  secrets: readonly string[];
  killGraceMs: number;
  record: (draft: JournalDraft) => void;
  signal: AbortSignal;
}

const NOT_PLACED_YET = new Set(['packet_received', 'queued']);

/**
 * A workspace lives on one host's disk. A run taken over past the point where its worktree was
 * made gets a fresh one here, from the intended branch as this host's clone has it (else from the
 * base), and the workspace.setup commands its first host ran are run again in it: the current
 * stage then starts again on this host (its workers' records name the other host, so none is
 * adopted and none spends a retry).
 */
export async function placeTakenOverRun(ctx: TakeoverContext): Promise<void> {
  const { meta, placement, registry } = ctx;
  ctx.record({ type: 'fleet.claimed', host: placement.host, kind: placement.claim });
  if (ctx.state === null || NOT_PLACED_YET.has(ctx.state) || existsSync(meta.workspace)) return;
  const plan = meta.input.plan;
  const spec = { repo: placement.repo, path: meta.workspace, branch: plan.intended_branch || `buran/${meta.run_id}`, base: plan.base_branch };
  const worktree = await withFileMutex(worktreeMutexPath(registry.workRoot), () => prepareWorktree(spec));
  ctx.record({
    type: 'workspace.ready', path: worktree.path, branch: worktree.branch, head: worktree.head, reused: false,
    ...(worktree.continued ? { continued: worktree.continued } : {}),
  });
  const records = runRecords(registry, meta.run_id);
  await restoreLastCheckpoint(ctx, records);
  if (meta.config.workspace.setup.length === 0 || (await readSetup(records)) === null) return;
  // The setup already ran on the first host (its report stands for the run): here it is run for
  // this host's worktree, recorded under this host's name.
  await runWorkspaceSetup({
    registryId: registry.location, runId: meta.run_id, records: hostRecords(records, placement.host), setupDir: runLayout(registry.workRoot, meta.run_id).setupDir,
    workspace: meta.workspace, commands: meta.config.workspace.setup, timeoutMs: meta.config.workspace.setup_timeout_ms,
    env: ctx.env, secrets: ctx.secrets, killGraceMs: ctx.killGraceMs, record: ctx.record, signal: ctx.signal,
  });
}

/**
 * With fleet.remote, the fresh workspace gets the files of the run's last accepted implementer or
 * fixer completion (its checkpoint); without one, the work since the branch was last pushed is gone
 * with the dead host, and the current stage starts again from the branch.
 */
async function restoreLastCheckpoint(ctx: TakeoverContext, records: RunRecords): Promise<void> {
  const remote = ctx.meta.config.fleet.remote;
  if (remote === undefined) return;
  const taskId = await lastAcceptedWork(records);
  if (taskId === null) return;
  const commit = await restoreCheckpoint({
    workspace: ctx.meta.workspace, remote, runId: ctx.meta.run_id, env: ctx.env, passEnv: ctx.meta.config.handoff.env, secrets: ctx.secrets,
  }, taskId);
  ctx.record({ type: 'fleet.restored', task_id: taskId, commit });
}

/** The latest implementer or fixer task whose recorded outcome is a completed completion (tasks are numbered in order: t3-fixer). */
async function lastAcceptedWork(records: RunRecords): Promise<string | null> {
  let best: { n: number; taskId: string } | null = null;
  for (const key of await records.keys('tasks/')) {
    const match = /^tasks\/(t(\d+)-(?:implementer|fixer))\/outcome$/.exec(key);
    if (match === null || (best !== null && Number(match[2]) <= best.n)) continue;
    const outcome = await readOutcome(records, match[1]!);
    if (outcome?.kind === 'exited' && outcome.completion.kind === 'present' && outcome.completion.completion.status === 'completed') {
      best = { n: Number(match[2]), taskId: match[1]! };
    }
  }
  return best?.taskId ?? null;
}

/** A run's records as one host's own (`hosts/<host>/…`). */
function hostRecords(records: RunRecords, host: string): RunRecords {
  const prefix = `hosts/${host}/`;
  return {
    read: (key, accept, what) => records.read(prefix + key, accept, what),
    write: (key, value) => records.write(prefix + key, value),
    remove: (key) => records.remove(prefix + key),
    keys: async (under) => (await records.keys(prefix + under)).map((key) => key.slice(prefix.length)),
  };
}
