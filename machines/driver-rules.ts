import { TERMINAL_STATES } from './states.ts';

/**
 * The driver's own lifecycle, as states (one value, never a set of flags that can disagree):
 *
 * - `driving`: the run actor runs; every step it takes is journalled (or matched against the
 *   journal's tail while the run re-executes steps it already holds: `replaying`).
 * - `stopping`: a deliberate stop (`--until`, `--max-steps`, SIGINT/SIGTERM) took effect at the
 *   step that asked for it; that step's snapshot is the one persisted, nothing later is recorded,
 *   effects are aborted, and the run is left resumable.
 * - `halting`: the driver cannot go on — the journal contradicts the run, the registry failed
 *   (a damaged record, a full disk, ownership lost), or the actor failed (a bug): nothing more is
 *   written and the driver reports why.
 * - `finished`: the run reached a final state.
 *
 * A stop or a halt is final: the first one wins. Pure: the driver feeds it events and acts on
 * the phase it returns.
 */
export type DriverPhase =
  | { kind: 'driving'; steps: number }
  | { kind: 'stopping'; reason: StopReason }
  | { kind: 'halting'; cause: HaltCause; error: unknown }
  | { kind: 'finished' };

export type StopReason = 'until' | 'max_steps' | 'interrupted';
export type HaltCause = 'contradiction' | 'registry' | 'actor_failed';

export type DriverEvent =
  /** A run step was journalled (`fresh`) or matched while replaying; `to` is its state path. */
  | { type: 'step'; to: string; fresh: boolean }
  | { type: 'interrupt' }
  | { type: 'halt'; cause: HaltCause; error: unknown }
  | { type: 'done' };

/** How far to drive: a state to stop at, a number of fresh steps, or neither. */
export interface StopPolicy {
  until?: string;
  maxSteps?: number;
}

export const DRIVING: DriverPhase = { kind: 'driving', steps: 0 };

const top = (path: string) => path.split('.')[0] ?? path;

/** The phase after an event. */
export function nextPhase(phase: DriverPhase, event: DriverEvent, policy: StopPolicy): DriverPhase {
  if (phase.kind !== 'driving') return phase;
  switch (event.type) {
    case 'step': {
      // Steps re-executed to bring the snapshot forward were taken before: they do not count.
      if (!event.fresh) return phase;
      const steps = phase.steps + 1;
      if (TERMINAL_STATES.has(top(event.to))) return { kind: 'driving', steps };
      if (policy.maxSteps !== undefined && steps >= policy.maxSteps) return { kind: 'stopping', reason: 'max_steps' };
      if (policy.until !== undefined && top(event.to) === policy.until) return { kind: 'stopping', reason: 'until' };
      return { kind: 'driving', steps };
    }
    case 'interrupt':
      return { kind: 'stopping', reason: 'interrupted' };
    case 'halt':
      return { kind: 'halting', cause: event.cause, error: event.error };
    case 'done':
      return { kind: 'finished' };
  }
}

/** An actor error after a deliberate stop is the stop's own abort of an effect, not a failure. */
export const isFailure = (phase: DriverPhase): boolean => phase.kind === 'driving';

/** What the caller is told of a stop (null: the run was not stopped on purpose). */
export const stoppedFor = (phase: DriverPhase): StopReason | null => (phase.kind === 'stopping' ? phase.reason : null);
