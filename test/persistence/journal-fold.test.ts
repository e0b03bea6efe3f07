// The journal's fold (persistence/journal-fold.ts): status keeps the fold of a journal's first
// entries and folds on from it, so a fold written out, read back and folded on must be the fold of
// the whole journal, wherever it was cut, whatever odd (envelope-only checked) fields it met.
import { describe, expect, it } from 'vitest';
import { JournalFold } from '../../persistence/journal-fold.ts';
import { findContradiction } from '../../persistence/journal-rules.ts';
import type { JournalEntry } from '../../persistence/journal-entries.ts';

const at = (seq: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString();
const journal = (bodies: Array<Record<string, unknown>>): JournalEntry[] =>
  bodies.map((body, i) => ({ seq: i + 1, at: at(i + 1), ...body }) as JournalEntry);

/** Everything a reader sees of a fold. */
const seen = (fold: JournalFold) => ({
  seq: fold.seq, at: fold.at, contradiction: fold.contradiction, lastState: fold.lastState, epochs: fold.epochs,
  lastReady: fold.lastReady, lastClaimed: fold.lastClaimed, tasks: JSON.stringify(fold.tasks()),
});

/** The fold of the first `cut` entries, through JSON, folded on over the rest. */
function resumed(entries: JournalEntry[], cut: number): JournalFold {
  const kept = JSON.parse(JSON.stringify(JournalFold.of(entries.slice(0, cut))));
  const fold = JournalFold.fromJSON(kept)!;
  expect(fold).not.toBeNull();
  for (const entry of entries.slice(cut)) fold.add(entry);
  return fold;
}

const ODD = journal([
  // An agent's report before its task is named, and odd states a full check would refuse; entries
  // of a task whose id is not a string are refused by the fold itself (and left out of it).
  { type: 'worker.finished', task_id: 't2', kind: 'exited', session_id: 's-early' },
  { type: 'run.created', from: null, to: 'packet_received', event: 'xstate.init' },
  { type: 'run.transition', from: 'packet_received', to: 'running.awaiting', event: 'go' },
  { type: 'task.transition', task_id: 't1', from: null, to: 'dispatched', role: 'implementer', attempt: 1, epoch: 0, retry: 0 },
  { type: 'task.transition', task_id: 7, from: null, to: 'dispatched', role: 'fixer' },
  { type: 'task.transition', task_id: 7, from: 'dispatched', to: 'failed', code: 'worker_failed' },
  { type: 'task.transition', task_id: 't1', from: 'dispatched', to: 'completed', decision: 'accepted', verdict: null },
  { type: 'worker.finished', task_id: 't1', kind: 'exited', cost_usd: 0.25, agent_outcome: 'success' },
  // A report of turns alone says nothing of cost: the two are kept as one (cost null).
  { type: 'worker.finished', task_id: 't1', kind: 'exited', turns: 4, resumed_session: 'r1' },
  { type: 'workspace.ready', path: '/w/1', branch: 'b', head: null, reused: false },
  { type: 'run.transition', from: 'running.awaiting', to: 'verification.running_commands', event: 'done' },
  { type: 'run.transition', from: 'verification.running_commands', to: 'verification.judging', event: 'next' },
  { type: 'fleet.claimed', host: 'h1', kind: 'queued' },
  { type: 'task.transition', task_id: 't2', from: null, to: 'dispatched', role: 'reviewer', attempt: 1, epoch: 1, retry: 0 },
  { type: 'run.transition', from: 'verification.judging', to: { odd: true }, event: 'x' },
  { type: 'run.transition', from: 'elsewhere', to: 'fix_loop', event: 'y' },
  { type: 'task.transition', task_id: 't2', from: 'dispatched', to: 'completed', verdict: 'PASS' },
  { type: 'run.transition', from: 'fix_loop', to: 'verification.running_commands', event: 'z' },
  { type: 'workspace.ready', path: '/w/2', branch: 'b', head: 'abc', reused: true },
]);

describe('the journal fold', () => {
  it('folded on from any cut, through JSON, is the fold of the whole journal', () => {
    const whole = seen(JournalFold.of(ODD));
    // The odd journal exercises what it should: a contradiction, tasks with odd ids, an early agent report.
    expect(whole.contradiction).toBe('seq 16: run transition from elsewhere, but the run was in [object Object]');
    expect(whole).toMatchObject({ seq: 19, lastState: 'verification.running_commands', epochs: 2, lastReady: { path: '/w/2' }, lastClaimed: { host: 'h1' } });
    expect(JSON.parse(whole.tasks)).toEqual([
      { task_id: 't1', role: 'implementer', attempt: 1, epoch: 0, retry: 0, status: 'completed', decision: 'accepted', code: null, verdict: null, cost_usd: null, turns: 4, agent_outcome: 'success', resumed_session: 'r1' },
      { task_id: 't2', role: 'reviewer', attempt: 1, epoch: 1, retry: 0, status: 'completed', decision: 'none', code: null, verdict: 'PASS', session_id: 's-early' },
    ]);
    for (let cut = 0; cut <= ODD.length; cut++) expect(seen(resumed(ODD, cut)), `cut after ${cut}`).toEqual(whole);
  });

  it('refuses, folding nothing, an entry without what its type requires and the fold keys on', () => {
    const fold = JournalFold.of(journal([{ type: 'run.created', from: null, to: 'running', event: 'go' }]));
    const before = JSON.stringify(fold);
    for (const body of [
      { type: 'task.transition', from: null, to: 'dispatched' },
      { type: 'task.transition', task_id: 'a', from: 'dispatched' },
      { type: 'task.transition', task_id: 7, from: null, to: 'dispatched' },
      { type: 'worker.finished', kind: 'exited', cost_usd: 1 },
    ]) {
      expect(fold.add({ seq: 2, at: at(2), ...body } as JournalEntry), JSON.stringify(body)).toBe(false);
      expect(JSON.stringify(fold)).toBe(before);
    }
    expect(fold.add({ seq: 2, at: at(2), type: 'task.transition', task_id: 'a', from: null, to: 'dispatched' } as JournalEntry)).toBe(true);
    expect(fold.seq).toBe(2);
  });

  it('finds what findContradiction finds, and reads back nothing that is not a fold', () => {
    expect(findContradiction(ODD)).toBe(JournalFold.of(ODD).contradiction);
    const good = JSON.parse(JSON.stringify(JournalFold.of(ODD)));
    for (const bad of [null, 3, [], { ...good, seq: -1 }, { ...good, at: 5 }, { ...good, records: {} }, { ...good, records: [[1, 2]] }, { ...good, agents: ['t1', 2] }, { ...good, taskStates: ['t1'] }, { ...good, lastReady: [] }]) {
      expect(JournalFold.fromJSON(bad)).toBeNull();
    }
  });
});
