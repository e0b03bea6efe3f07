import type { RunContext } from './run-rules.ts';
import type { Role } from './types.ts';

/**
 * CONTRACT 4: a run whose agent quota resets later than limits.max_quota_wait_ms allows ends
 * blocked_needs_human with quota_exhausted, and its next safe action is `buran resume`, not
 * before the reset. A final state takes no events, so resuming such a run is this one decision,
 * made here and nowhere else: the run goes back to the stage that was paused, waiting for the
 * agent until the reset (no retry spent), with nothing else of its history changed.
 */

const STAGE_OF: Record<Role, string> = { implementer: 'running', fixer: 'fix_loop', reviewer: 'internal_review' };

/** The event name the journal records for the step back into the stage. */
export const REOPEN_EVENT = 'run.resume';

/** A persisted run snapshot, as xstate writes it (getPersistedSnapshot). */
export interface PersistedRun {
  status: string;
  value: unknown;
  context: RunContext;
  children?: Record<string, unknown>;
  [key: string]: unknown;
}

/** True when this ended run is one `buran resume` continues (a quota it could not wait for). */
export function reopenable(snapshot: PersistedRun): boolean {
  return snapshot.status === 'done' && snapshot.context.blocker?.code === 'quota_exhausted' && snapshot.context.pending !== null;
}

/** Where the reopened run stands: `<stage>.agent_pause`. */
export function reopenedState(snapshot: PersistedRun): string {
  return `${STAGE_OF[snapshot.context.pending!.role]}.agent_pause`;
}

/**
 * The run back in its stage's agent_pause, waiting until the reset (`not_before`), its blockers
 * kept as history. The pause's waiting actor is part of the snapshot (a restored run restarts
 * the invoked actors it lists, with their saved input), so the wait begins when it is restored.
 */
export function reopenAfterQuota(snapshot: PersistedRun, now: number): PersistedRun {
  const context = snapshot.context;
  const until = Math.max(now, Date.parse(context.blocker?.not_before ?? '') || now);
  const [stage, sub] = reopenedState(snapshot).split('.') as [string, string];
  return {
    ...snapshot,
    status: 'active',
    output: undefined,
    error: undefined,
    value: { [stage]: sub },
    context: { ...context, blocker: null, current: null, agent_pause: { reason: 'quota', until, since: now, pauses: 0 } },
    children: {
      agentPause: {
        snapshot: { status: 'active', output: undefined, error: undefined, input: { run_id: context.run_id, until } },
        src: 'awaitAgentPause', systemId: undefined, syncSnapshot: false,
      },
    },
  };
}
