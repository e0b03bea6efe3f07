// Kept apart from the machine so read-only commands need not load xstate.

/** The run states of CONTRACT 5, in flow order. */
export const RUN_STATES = [
  'packet_received', 'queued', 'waiting_for_lock', 'running', 'verification', 'internal_review', 'fix_loop',
  'handoff_ready', 'ready_for_manual_review', 'blocked_plan_insufficient', 'blocked_lock_conflict',
  'blocked_needs_human', 'failed_execution',
] as const;
export type RunState = (typeof RUN_STATES)[number];

/**
 * Terminal run states (bold in CONTRACT 5): the run machine tags each `terminal` (a test checks
 * these sets against the machine's tags).
 */
export const TERMINAL_STATES: ReadonlySet<string> = new Set<RunState>([
  'ready_for_manual_review', 'blocked_plan_insufficient', 'blocked_lock_conflict', 'blocked_needs_human', 'failed_execution',
]);

/** The terminal states that wait on a person: tagged `blocked` in the run machine. */
export const BLOCKED_STATES: ReadonlySet<string> = new Set<RunState>(['blocked_plan_insufficient', 'blocked_lock_conflict', 'blocked_needs_human']);

/** A run left here waits on a person (exit 3). */
export const isBlocked = (state: string): boolean => BLOCKED_STATES.has(state);
