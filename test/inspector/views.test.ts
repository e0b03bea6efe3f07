// How the board's facts read: durations, money, worker lines, the summary.
import { describe, expect, it } from 'vitest';
import { ago, duration, money, workerText } from '../../inspector/views/parts.ts';
import { summary } from '../../inspector/views/board-view.ts';
import type { RunFacts } from '../../inspector/run-facts.ts';

describe('board text', () => {
  it('durations read in the largest units that matter; a time just after the clock was read is now, not negative', () => {
    expect([duration(0), duration(59_999), duration(61_000), duration(3 * 3_600_000 + 5 * 60_000), duration(50 * 3_600_000), duration(null)]).toEqual(['0 s', '59 s', '1 min 1 s', '3 h 5 min', '2 d 2 h', '-']);
    const now = Date.parse('2026-01-01T00:00:10Z');
    expect(duration(-400)).toBe('0 s');
    expect(ago('2026-01-01T00:00:11Z', now)).toBe('0 s ago');
    // The worker's start was read from the journal after `now` was taken.
    expect(workerText({ task_id: 't1-implementer', role: 'implementer', attempt: 1, epoch: 1, since: '2026-01-01T00:00:10.300Z' }, now)).toBe('implementer t1-implementer (attempt 1, epoch 1), running 0 s');
    expect(workerText({ task_id: 't1-implementer', role: 'implementer', attempt: 1, epoch: 1, since: null }, now)).toBe('implementer t1-implementer (attempt 1, epoch 1), starting');
  });

  it('money shows cents to four places under a dollar; no reported cost is a dash', () => {
    expect([money(0.0246), money(12.5), money(null)]).toEqual(['$0.0246', '$12.50', '-']);
  });

  it('the summary counts runs by how they stand', () => {
    const row = (state: string, terminal: boolean) => ({ state, terminal }) as RunFacts;
    expect(summary([])).toBe('0 runs');
    expect(summary([row('running', false), row('blocked_needs_human', true), row('blocked_lock_conflict', true), row('ready_for_manual_review', true), row('quarantined', true)])).toBe('5 runs: 1 live, 2 blocked, 1 failed, 1 ready');
  });
});
