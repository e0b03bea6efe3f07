import { stopRunProcesses } from '../adapters/orphans.ts';
import { isAlive } from '../persistence/process-identity.ts';
import { refuseQuarantinedRun } from '../persistence/quarantine.ts';
import { LockUnverifiedError, RunLockedError } from '../persistence/errors.ts';
import type { Registry } from '../persistence/port.ts';
import { runRecords } from '../persistence/run-records.ts';
import { hostName } from '../persistence/host.ts';
import { driveRun, type DriveResult } from './drive-run.ts';
import { TERMINAL_STATES } from '../machines/states.ts';
import { reopenable, type PersistedRun } from '../machines/reopen-rules.ts';

/** What `buran cancel` needs. */
export interface CancelOptions {
  registry: Registry;
  runId: string;
  reason: string;
  killGraceMs: number;
  /** How long a live driver gets to stop after the request before it is signalled. */
  driverGraceMs: number;
}

// The driver may exit between the liveness check and the signal: a process already gone is fine.
function signalIfAlive(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Cancels a run: records a cancel request, which a live driver (this run's, or a batch's, on
 * this host or another) sees within a moment and acts on itself, ending the run cancelled with
 * its workers stopped. A driver on this host that does not let go within the grace period is
 * stopped (SIGTERM, then SIGKILL). Then every process the run's workers left is stopped and the
 * run is driven to blocked_needs_human with blocker `cancelled`. A run that already ended is left
 * as it is (idempotent).
 */
export async function cancelRun(options: CancelOptions): Promise<DriveResult & { stopped_pids: number[] }> {
  const { registry, runId } = options;
  await registry.assertRun(runId);
  await refuseQuarantinedRun(registry, runId);
  const ended = await registry.readSnapshot(runId);
  // A run parked on an agent's quota (resumable) is cancelled like a live one.
  const resumable = ended !== null && reopenable(ended.snapshot as unknown as PersistedRun);
  if (ended === null || !TERMINAL_STATES.has(ended.state) || resumable) await registry.requestCancel(runId, options.reason);
  await awaitDriverGone(options);
  const stopped = await stopRunProcesses(runRecords(registry, runId), registry.location, runId, options.killGraceMs);
  const result = await driveRun({ registry, runId, cancel: options.reason, killGraceMs: options.killGraceMs, reopen: resumable });
  return { ...result, stopped_pids: stopped };
}

/** Waits for the run's live driver to honour the request; one on this host that does not is stopped. */
async function awaitDriverGone({ registry, runId, driverGraceMs }: CancelOptions): Promise<void> {
  const holder = await registry.readOwner(runId);
  if (holder === null || (holder.host === hostName() && (holder.pid === process.pid || holder.pid <= 0))) return;
  const here = holder.host === hostName();
  if (here && !isAlive(holder)) return;
  const stillHeld = async () => {
    const now = await registry.readOwner(runId);
    return now !== null && now.host === holder.host && now.pid === holder.pid && (!here || isAlive(holder));
  };
  const until = Date.now() + driverGraceMs;
  while ((await stillHeld()) && Date.now() < until) await sleep(25);
  if (!(await stillHeld())) return;
  // Another host's driver is not ours to signal: the request stays recorded and it acts on it.
  if (!here) throw new RunLockedError(runId, holder.pid, holder.host);
  // Without a start time the pid may now be any process: it is never signalled on the lock's word.
  if (holder.start === null) throw new LockUnverifiedError(runId, holder.pid, registry.recordName(runId, 'lock'));
  signalIfAlive(holder.pid, 'SIGTERM');
  const soft = Date.now() + 5_000;
  while ((await stillHeld()) && Date.now() < soft) await sleep(25);
  if (await stillHeld()) signalIfAlive(holder.pid, 'SIGKILL');
  const hard = Date.now() + 5_000;
  while (isAlive(holder) && Date.now() < hard) await sleep(10);
  if (isAlive(holder)) throw new RunLockedError(runId, holder.pid);
}
