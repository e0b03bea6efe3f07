import { isBlocked, TERMINAL_STATES } from '../machines/states.ts';

/** CONTRACT 1's exit codes. */
export const EXIT = { ok: 0, internal: 1, usage: 2, blocked: 3, failed: 4, registry: 5, stopped: 6 } as const;

/** The exit code for a run left in this state. */
export function exitForState(state: string): number {
  if (state === 'ready_for_manual_review') return EXIT.ok;
  if (state === 'failed_execution') return EXIT.failed;
  if (isBlocked(state)) return EXIT.blocked;
  return TERMINAL_STATES.has(state) ? EXIT.internal : EXIT.stopped;
}
