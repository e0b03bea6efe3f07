import { existsSync } from 'node:fs';
import { TERMINAL_STATES } from '../../machines/states.ts';
import { reopenable, type PersistedRun } from '../../machines/reopen-rules.ts';
import { pruneWorktrees, removeWorktree } from '../../adapters/worktree.ts';
import { releaseLeases } from '../../persistence/lease.ts';
import { withFileMutex } from '../../persistence/file-mutex.ts';
import { worktreeMutexPath } from '../../persistence/layout.ts';
import { findRun, listRunIds, readRunMeta } from '../../persistence/registry.ts';
import { readSnapshot } from '../../persistence/snapshot-store.ts';
import { readLockHolder } from '../../persistence/run-lock.ts';
import { isAlive } from '../../persistence/process-identity.ts';
import { RunLockedError, RunNotFinishedError } from '../../persistence/errors.ts';
import type { Output } from '../output.ts';

interface Cleaned {
  run_id: string;
  removed: string | null;
  skipped: string | null;
}

/**
 * `buran clean [ID…]`: removes the git worktrees of finished runs (terminal state, no live
 * driver) and frees their leases. Branches, commits and the run's records stay. Without ids,
 * every finished run with a worktree; a named run that is not finished is refused (exit 5).
 */
export async function cleanCommand(ids: string[], registry: string, json: boolean, output: Output): Promise<number> {
  const named = ids.length > 0;
  const results: Cleaned[] = [];
  const repos = new Set<string>();
  for (const runId of named ? ids : await listRunIds(registry)) {
    const layout = await findRun(registry, runId);
    // A run whose record will not read stops a named clean; a sweep lists it and goes on.
    let meta;
    try {
      meta = await readRunMeta(layout);
    } catch (error) {
      if (named) throw error;
      results.push({ run_id: runId, removed: null, skipped: `not cleaned: ${(error as Error).message}` });
      continue;
    }
    if (meta.repo === null) {
      if (named) results.push({ run_id: runId, removed: null, skipped: 'the run has no worktree of its own (it ran in --workspace)' });
      continue;
    }
    const holder = await readLockHolder(layout.lock);
    if (holder !== null && holder.pid > 0 && isAlive(holder)) {
      if (named) throw new RunLockedError(runId, holder.pid);
      continue;
    }
    const snapshot = await readSnapshot(layout.snapshot).catch(() => null);
    const state = snapshot?.state ?? 'packet_received';
    if (!TERMINAL_STATES.has(state)) {
      if (named) throw new RunNotFinishedError(runId, state);
      continue;
    }
    // Parked on an agent's quota, it resumes in its worktree: cancel it to let the worktree go.
    if (snapshot !== null && reopenable(snapshot.snapshot as unknown as PersistedRun)) {
      if (named) throw new RunNotFinishedError(runId, `${state} (quota_exhausted)`, 'it can be resumed once the agent\'s quota resets and works in this worktree: resume it, or cancel it first');
      continue;
    }
    const present = existsSync(meta.workspace);
    if (present) await withFileMutex(worktreeMutexPath(registry), () => removeWorktree(meta.repo!, meta.workspace, { prune: false }));
    repos.add(meta.repo);
    await releaseLeases(registry, runId);
    if (present || named) results.push({ run_id: runId, removed: present ? meta.workspace : null, skipped: present ? null : 'already removed' });
  }
  for (const repo of repos) await withFileMutex(worktreeMutexPath(registry), () => pruneWorktrees(repo));
  for (const r of results) {
    output.out(json ? JSON.stringify(r) : r.removed ? `${r.run_id}: removed ${r.removed}` : `${r.run_id}: ${r.skipped}`);
  }
  if (!json && results.length === 0) output.out('nothing to clean');
  return 0;
}
