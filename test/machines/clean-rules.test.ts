import { describe, expect, it } from 'vitest';
import { cleanDecision } from '../../machines/clean-rules.ts';

const finished = { ownWorktree: true, driven: false, state: 'ready_for_manual_review', resumable: false };

describe('clean rules', () => {
  it('cleans a finished, undriven run with a worktree of its own, whatever way it ended', () => {
    for (const state of ['ready_for_manual_review', 'blocked_needs_human', 'blocked_lock_conflict', 'failed_execution']) {
      expect(cleanDecision({ ...finished, state }), state).toEqual({ kind: 'clean' });
    }
  });

  it('has nothing to do for a --workspace run, even a live one (its folder is the user\'s)', () => {
    expect(cleanDecision({ ...finished, ownWorktree: false, driven: true, state: 'running' })).toMatchObject({ kind: 'nothing' });
  });

  it('refuses a driven run first, then an unfinished one, then one parked on an agent quota', () => {
    expect(cleanDecision({ ...finished, driven: true })).toEqual({ kind: 'refuse', why: 'driven' });
    expect(cleanDecision({ ...finished, state: 'verification' })).toEqual({ kind: 'refuse', why: 'unfinished' });
    expect(cleanDecision({ ...finished, state: 'blocked_needs_human', resumable: true })).toEqual({ kind: 'refuse', why: 'resumable' });
  });
});
