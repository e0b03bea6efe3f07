import { stopRunProcesses } from '../adapters/orphans.ts';
import { findRun } from '../persistence/registry.ts';
import { readLockHolder } from '../persistence/run-lock.ts';
import { isAlive } from '../persistence/process-identity.ts';
import { refuseIfQuarantined } from '../persistence/quarantine.ts';
import { LockUnverifiedError, RunLockedError } from '../persistence/errors.ts';
import { driveRun, type DriveResult } from './drive-run.ts';
import { requestCancel } from '../persistence/cancel-request.ts';
import { readSnapshot } from '../persistence/snapshot-store.ts';
import { TERMINAL_STATES } from '../machines/states.ts';
import { reopenable, type PersistedRun } from '../machines/reopen-rules.ts';

/** What `buran cancel` needs. */
export interface CancelOptions {
  registryRoot: string;
  runId: string;
  reason: string;
  killGraceMs: number;
  /** How long a live driver gets to stop after SIGTERM before it is killed. */
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
 * Cancels a run: records a cancel request, which a live driver (this run's, or a batch's) sees
 * within a moment and acts on itself, ending the run cancelled with its workers stopped; a driver
 * that does not let go within the grace period is stopped (SIGTERM, then SIGKILL). Then every
 * process the run's workers left is stopped and the run is driven to blocked_needs_human with
 * blocker `cancelled`. A run that already ended is left as it is (idempotent).
 */
export async function cancelRun(options: CancelOptions): Promise<DriveResult & { stopped_pids: number[] }> {
  const layout = await findRun(options.registryRoot, options.runId);
  await refuseIfQuarantined(layout);
  const ended = await readSnapshot(layout.snapshot);
  // A run parked on an agent's quota (resumable) is cancelled like a live one.
  const resumable = ended !== null && reopenable(ended.snapshot as unknown as PersistedRun);
  if (ended === null || !TERMINAL_STATES.has(ended.state) || resumable) await requestCancel(layout, options.reason);
  const holder = await readLockHolder(layout.lock);
  if (holder !== null && holder.pid > 0 && holder.pid !== process.pid && isAlive(holder)) {
    const stillHeld = async () => isAlive(holder) && (await readLockHolder(layout.lock))?.pid === holder.pid;
    const until = Date.now() + options.driverGraceMs;
    while ((await stillHeld()) && Date.now() < until) await sleep(25);
    if (await stillHeld()) {
      // Without a start time the pid may now be any process: it is never signalled on the lock's word.
      if (holder.start === null) throw new LockUnverifiedError(options.runId, holder.pid, layout.lock);
      signalIfAlive(holder.pid, 'SIGTERM');
      const soft = Date.now() + 5_000;
      while ((await stillHeld()) && Date.now() < soft) await sleep(25);
      if (await stillHeld()) signalIfAlive(holder.pid, 'SIGKILL');
      const hard = Date.now() + 5_000;
      while (isAlive(holder) && Date.now() < hard) await sleep(10);
      if (isAlive(holder)) throw new RunLockedError(options.runId, holder.pid);
    }
  }
  const stopped = await stopRunProcesses(layout, options.runId, options.killGraceMs);
  const result = await driveRun({ registryRoot: options.registryRoot, runId: options.runId, cancel: options.reason, killGraceMs: options.killGraceMs, reopen: resumable });
  return { ...result, stopped_pids: stopped };
}
