import { TERMINAL_STATES } from './states.ts';

/** What `buran clean` knows of a run before it touches its worktree. */
export interface CleanFacts {
  /** The run has a worktree of its own (--repo), not a --workspace folder. */
  ownWorktree: boolean;
  /** A live process drives the run (here, or on another host). */
  driven: boolean;
  state: string;
  /** Ended on an agent's quota and resumable once it resets (it works in this worktree again). */
  resumable: boolean;
}

/**
 * Whether a run's worktree may go (pure). A named run that may not is refused with the reason;
 * a sweep over every run passes it by. Only a finished run with nothing left to do in its
 * worktree is cleaned: its change is in the patch and, for git handoffs, on its branch.
 */
export type CleanDecision =
  | { kind: 'clean' }
  | { kind: 'nothing'; reason: string }
  | { kind: 'refuse'; why: 'driven' | 'unfinished' | 'resumable' };

export function cleanDecision(facts: CleanFacts): CleanDecision {
  if (!facts.ownWorktree) return { kind: 'nothing', reason: 'the run has no worktree of its own (it ran in --workspace)' };
  if (facts.driven) return { kind: 'refuse', why: 'driven' };
  if (!TERMINAL_STATES.has(facts.state)) return { kind: 'refuse', why: 'unfinished' };
  if (facts.resumable) return { kind: 'refuse', why: 'resumable' };
  return { kind: 'clean' };
}
