import { cancelRun } from '../../actors/cancel-run.ts';
import { leasesHeldBy, releaseLeases } from '../../persistence/lease.ts';
import { findRun } from '../../persistence/registry.ts';
import { readLockHolder } from '../../persistence/run-lock.ts';
import { isAlive } from '../../persistence/process-identity.ts';
import { LeaseNotExpiredError, RunLockedError, RunWorkersAliveError } from '../../persistence/errors.ts';
import { liveRunProcesses } from '../../adapters/orphans.ts';
import type { Output } from '../output.ts';
import { formatBlocker } from '../status-view.ts';

/** `buran cancel ID`: idempotent; exit 0 once the run has ended (cancelled now or before). */
export async function cancelCommand(runId: string, registry: string, json: boolean, output: Output): Promise<number> {
  const result = await cancelRun({
    registryRoot: registry, runId, reason: 'cancelled by "buran cancel"',
    killGraceMs: Number(process.env.BURAN_KILL_GRACE_MS ?? 2000), driverGraceMs: 15_000,
  });
  if (json) {
    output.out(JSON.stringify({ run_id: runId, state: result.state, blocker: result.blocker, stopped_pids: result.stopped_pids }));
  } else {
    output.out(`run ${runId}: ${result.state}${result.blocker ? ` (${formatBlocker(result.blocker)})` : ''}`);
    if (result.stopped_pids.length > 0) output.out(`stopped processes: ${result.stopped_pids.join(', ')}`);
  }
  return result.terminal ? 0 : 1;
}

/** `buran reclaim ID`: releases the run's expired leases, only when no live process drives it. */
export async function reclaimCommand(runId: string, registry: string, json: boolean, output: Output): Promise<number> {
  const layout = await findRun(registry, runId);
  const holder = await readLockHolder(layout.lock);
  if (holder !== null && holder.pid > 0 && isAlive(holder)) throw new RunLockedError(runId, holder.pid);
  // A dead driver's orphaned worker still works in the run's folder: its leases are not free.
  const alive = await liveRunProcesses(layout, runId);
  if (alive.length > 0) throw new RunWorkersAliveError(runId, alive);
  const now = Date.now();
  const held = await leasesHeldBy(registry, runId);
  const live = held.filter((lease) => Date.parse(lease.expires_at) > now);
  if (live.length > 0) {
    throw new LeaseNotExpiredError(runId, live.map((lease) => `${lease.resource} until ${lease.expires_at}`).join(', '));
  }
  await releaseLeases(registry, runId);
  const released = held.map((lease) => lease.resource);
  output.out(json ? JSON.stringify({ run_id: runId, released }) : released.length ? `released: ${released.join(', ')}` : `run ${runId} holds no lease`);
  return 0;
}
