import { cancelRun } from '../../actors/cancel-run.ts';
import type { Registry } from '../../persistence/port.ts';
import { runRecords } from '../../persistence/run-records.ts';
import { hostName } from '../../persistence/host.ts';
import { withRegistry } from '../registry-access.ts';
import { isAlive } from '../../persistence/process-identity.ts';
import { LeaseNotExpiredError, RunLockedError, RunWorkersAliveError } from '../../persistence/errors.ts';
import { liveRunProcesses } from '../../adapters/orphans.ts';
import type { Output } from '../output.ts';
import { formatBlocker } from '../status-view.ts';

/** `buran cancel ID`: idempotent; exit 0 once the run has ended (cancelled now or before). */
export async function cancelCommand(runId: string, location: string, json: boolean, output: Output): Promise<number> {
  const result = await withRegistry(location, (registry) => cancelRun({
    registry, runId, reason: 'cancelled by "buran cancel"',
    killGraceMs: Number(process.env.BURAN_KILL_GRACE_MS ?? 2000), driverGraceMs: 15_000,
  }));
  if (json) {
    output.out(JSON.stringify({ run_id: runId, state: result.state, blocker: result.blocker, stopped_pids: result.stopped_pids }));
  } else {
    output.out(`run ${runId}: ${result.state}${result.blocker ? ` (${formatBlocker(result.blocker)})` : ''}`);
    if (result.stopped_pids.length > 0) output.out(`stopped processes: ${result.stopped_pids.join(', ')}`);
  }
  return result.terminal ? 0 : 1;
}

/** `buran reclaim ID`: releases the run's expired leases, only when no live process drives it. */
export async function reclaimCommand(runId: string, location: string, json: boolean, output: Output): Promise<number> {
  return withRegistry(location, (registry) => reclaim(registry, runId, json, output));
}

async function reclaim(registry: Registry, runId: string, json: boolean, output: Output): Promise<number> {
  await registry.assertRun(runId);
  const holder = await registry.readOwner(runId);
  if (holder !== null && holder.pid > 0 && (holder.host !== hostName() || isAlive(holder))) {
    throw new RunLockedError(runId, holder.pid, holder.host === hostName() ? undefined : holder.host);
  }
  // A dead driver's orphaned worker still works in the run's folder: its leases are not free.
  const alive = await liveRunProcesses(runRecords(registry, runId), registry.location, runId);
  if (alive.length > 0) throw new RunWorkersAliveError(runId, alive);
  const now = Date.now();
  const held = await registry.leasesHeldBy(runId);
  const live = held.filter((lease) => Date.parse(lease.expires_at) > now);
  if (live.length > 0) {
    throw new LeaseNotExpiredError(runId, live.map((lease) => `${lease.resource} until ${lease.expires_at}`).join(', '));
  }
  await registry.releaseLeases(runId);
  const released = held.map((lease) => lease.resource);
  output.out(json ? JSON.stringify({ run_id: runId, released }) : released.length ? `released: ${released.join(', ')}` : `run ${runId} holds no lease`);
  return 0;
}
