import { isBlocked } from './states.ts';

/**
 * The batch's scheduling rules, pure: which queued run starts next, and how a batch ends.
 * A run whose claims conflict with an active run of the same batch is passed over (it would
 * only wait for that run's lease); the first queued run that conflicts with none starts.
 */
export function nextStartable<T>(queued: readonly T[], active: readonly T[], conflicts: (a: T, b: T) => boolean, concurrency: number): number {
  if (active.length >= concurrency) return -1;
  return queued.findIndex((candidate) => active.every((running) => !conflicts(candidate, running)));
}

/**
 * CONTRACT 1 for batch: 0 when every run is ready, 4 when any failed, else 3 when any is
 * blocked; 6 when stopped early; a run the registry refused (quarantined, locked) is 5; a
 * run that hit a bug is 1.
 */
export function batchExitCode(states: readonly string[], stoppedEarly: boolean): number {
  if (states.includes('internal_error')) return 1;
  if (states.includes('registry_error')) return 5;
  if (stoppedEarly) return 6;
  if (states.some((s) => s === 'failed_execution')) return 4;
  if (states.some(isBlocked)) return 3;
  return states.every((s) => s === 'ready_for_manual_review') ? 0 : 6;
}
