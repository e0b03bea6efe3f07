import { existsSync } from 'node:fs';
import { cleanDecision } from '../../machines/clean-rules.ts';
import { reopenable, type PersistedRun } from '../../machines/reopen-rules.ts';
import { pruneWorktrees, removeWorktree } from '../../adapters/worktree.ts';
import { withFileMutex } from '../../persistence/file-mutex.ts';
import { worktreeMutexPath } from '../../persistence/layout.ts';
import type { Registry } from '../../persistence/port.ts';
import { hostName } from '../../persistence/host.ts';
import { withRegistry } from '../registry-access.ts';
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
export async function cleanCommand(ids: string[], location: string, json: boolean, output: Output): Promise<number> {
  const results = await withRegistry(location, (registry) => clean(registry, ids));
  for (const r of results) {
    output.out(json ? JSON.stringify(r) : r.removed ? `${r.run_id}: removed ${r.removed}` : `${r.run_id}: ${r.skipped}`);
  }
  if (!json && results.length === 0) output.out('nothing to clean');
  return 0;
}

async function clean(registry: Registry, ids: string[]): Promise<Cleaned[]> {
  const named = ids.length > 0;
  const results: Cleaned[] = [];
  const repos = new Set<string>();
  const mutex = worktreeMutexPath(registry.workRoot);
  for (const runId of named ? ids : await registry.runIds()) {
    await registry.assertRun(runId);
    // A run whose record will not read stops a named clean; a sweep lists it and goes on.
    let meta;
    try {
      meta = await registry.readMeta(runId);
    } catch (error) {
      if (named) throw error;
      results.push({ run_id: runId, removed: null, skipped: `not cleaned: ${(error as Error).message}` });
      continue;
    }
    const holder = meta.repo === null ? null : await registry.readOwner(runId);
    const driven = holder !== null && holder.pid > 0 && (holder.host !== hostName() || isAlive(holder));
    const snapshot = meta.repo === null ? null : await registry.readSnapshot(runId).catch(() => null);
    const state = snapshot?.state ?? 'packet_received';
    const decision = cleanDecision({
      ownWorktree: meta.repo !== null, driven, state,
      resumable: snapshot !== null && reopenable(snapshot.snapshot as unknown as PersistedRun),
    });
    if (decision.kind === 'nothing') {
      if (named) results.push({ run_id: runId, removed: null, skipped: decision.reason });
      continue;
    }
    if (decision.kind === 'refuse') {
      if (!named) continue;
      if (decision.why === 'driven') throw new RunLockedError(runId, holder!.pid, holder!.host === hostName() ? undefined : holder!.host);
      if (decision.why === 'unfinished') throw new RunNotFinishedError(runId, state);
      // Parked on an agent's quota, it resumes in its worktree: cancel it to let the worktree go.
      throw new RunNotFinishedError(runId, `${state} (quota_exhausted)`, 'it can be resumed once the agent\'s quota resets and works in this worktree: resume it, or cancel it first');
    }
    if (meta.repo === null) continue;
    const present = existsSync(meta.workspace);
    if (present) await withFileMutex(mutex, () => removeWorktree(meta.repo!, meta.workspace, { prune: false }));
    repos.add(meta.repo);
    await registry.releaseLeases(runId);
    if (present || named) results.push({ run_id: runId, removed: present ? meta.workspace : null, skipped: present ? null : 'already removed' });
  }
  for (const repo of repos) await withFileMutex(mutex, () => pruneWorktrees(repo));
  return results;
}
