import { describe, expect, it } from 'vitest';
import { describeEntry } from '../../cli/journal-words.ts';
import { JOURNAL_ENTRY_TYPES, JournalEntrySchema, type JournalEntry } from '../../persistence/journal-entries.ts';

const at = '2026-11-30T10:00:00.000Z';
// Each sample is checked against the journal's own schema: a sample of a shape the journal would refuse is a wrong sample.
const entry = (type: string, fields: Record<string, unknown>): JournalEntry => JournalEntrySchema.parse({ seq: 1, at, type, ...fields }) as JournalEntry;

// One sample of every entry type the driver and the effects write, and the line a person reads.
const SAMPLES: Array<[string, Record<string, unknown>, string]> = [
  ['run.created', { from: null, to: 'packet_received', event: 'xstate.init' }, 'run created (packet_received)'],
  ['run.transition', { from: 'verification.running_commands', to: 'fix_loop.awaiting', event: 'xstate.done.actor.verification', verdict: 'FAIL', epoch: 1 },
    'verification.running_commands → fix_loop.awaiting  (verification FAIL in epoch 1)'],
  ['run.transition', { from: 'handoff_ready.handing_off', to: 'handoff_ready.retiring_workspace', event: 'xstate.done.actor.handoff' },
    'handoff_ready: handing_off → retiring_workspace  (handoff done)'],
  ['run.transition', { from: 'running.awaiting', to: 'running.awaiting', event: 'task.settled', task: { task_id: 't1-implementer', status: 'failed', decision: 'none', code: 'completion_missing', verdict: null } },
    'running.awaiting again  (t1-implementer failed, completion_missing)'],
  ['run.transition', { from: 'running.awaiting', to: 'blocked_needs_human', event: 'xstate.error.actor.scan' }, 'running.awaiting → blocked_needs_human  (secret scan failed)'],
  ['run.transition', { from: 'running.awaiting', to: 'blocked_needs_human', event: 'run.cancel', reason: 'buran cancel' }, 'running.awaiting → blocked_needs_human  (cancel requested: buran cancel)'],
  ['run.transition', { from: 'blocked_needs_human', to: 'running.agent_pause', event: 'run.resume' }, 'blocked_needs_human → running.agent_pause  (buran resume)'],
  ['task.transition', { task_id: 't2-fixer', from: null, to: 'dispatched', role: 'fixer', attempt: 1, epoch: 2, retry: 1 }, 't2-fixer: fixer task created (attempt 1, epoch 2, retry 1)'],
  ['task.transition', { task_id: 't3-reviewer', from: 'dispatched', to: 'completed', role: 'reviewer', decision: 'accepted', code: null, verdict: 'FAIL' },
    't3-reviewer: completed (verdict FAIL)'],
  ['task.transition', { task_id: 't2-fixer', from: 'dispatched', to: 'failed', role: 'fixer', decision: 'invalid', code: 'completion_invalid', verdict: null },
    't2-fixer: failed (completion_invalid)'],
  ['task.transition', { task_id: 't2-fixer', from: 'dispatched', to: 'failed', role: 'fixer', decision: 'conflict', code: null, verdict: null },
    't2-fixer: failed (completion conflict)'],
  ['task.duplicate', { task_id: 't1-implementer', message: 'a second completion\nmore' }, 't1-implementer: a second completion, ignored (a second completion)'],
  ['worker.started', { task_id: 't2-fixer', role: 'fixer', pid: 42, resumed_session: 's-1' }, 't2-fixer started: fixer, pid 42, continuing session s-1'],
  ['worker.finished', { task_id: 't1-implementer', kind: 'exited', exit_code: 0, signal: null, completion: 'present', cost_usd: 0.0123, turns: 2, agent_outcome: 'success' },
    't1-implementer exited 0, completion present; $0.0123, 2 turn(s)'],
  ['worker.finished', { task_id: 't1-implementer', kind: 'exited', exit_code: null, signal: null, completion: 'missing', agent_outcome: 'quota', agent_message: 'usage limit', reset_at: '2026-11-30T11:00:00.000Z' },
    't1-implementer ended, completion missing; agent: quota (usage limit), resets 2026-11-30T11:00:00.000Z'],
  ['worker.finished', { task_id: 't1-implementer', kind: 'timed_out', idle_ms: 5000 }, 't1-implementer killed: silent for 5 s'],
  ['worker.adopted', { task_id: 't1-implementer', pid: 7 }, 't1-implementer still running after a restart (pid 7): adopted, not started again'],
  ['worker.ingested', { task_id: 't1-implementer', completion: 'present' }, 't1-implementer: completion found after a restart (present), not started again'],
  ['worker.interrupted', { task_id: 't1-implementer', pid: 7 }, 't1-implementer stopped on purpose (pid 7); it starts again if the run is resumed'],
  ['worker.restarted_elsewhere', { task_id: 't2-reviewer', previous_host: 'h1' }, "t2-reviewer: its worker ran on host h1, which is gone; started again here (no retry spent)"],
  ['fleet.claimed', { host: 'h2', kind: 'takeover' }, 'taken over by host h2 (the host that drove it stopped heartbeating)'],
  ['fleet.claimed', { host: 'h1', kind: 'queued' }, 'claimed by runner host h1'],
  ['fleet.checkpoint', { task_id: 't1-implementer', commit: '0123456789abcdef' }, "t1-implementer: workspace checkpoint 0123456789ab pushed to the fleet's remote"],
  ['fleet.checkpoint_failed', { task_id: 't1-implementer', message: 'git push failed: denied\nmore' }, 't1-implementer: checkpoint not pushed: git push failed: denied (a host that takes the run over would start this stage again)'],
  ['fleet.restored', { task_id: 't1-implementer', commit: null }, "no checkpoint of t1-implementer on the fleet's remote: the work starts again from the branch"],
  ['fleet.restored', { task_id: 't1-implementer', commit: 'abcdef0123456789' }, 'workspace restored from the checkpoint of t1-implementer (abcdef012345)'],
  ['worker.lingered', { task_id: 't1-implementer', grace_ms: 2000 }, 't1-implementer kept running after its final result: stopped after 2 s'],
  ['worker.held', { task_id: 't4-fixer', until: '2026-11-30T11:00:00.000Z', by: 't1-implementer' },
    "t4-fixer held back until 2026-11-30T11:00:00.000Z: task t1-implementer hit this agent's quota"],
  ['worker.strays_stopped', { task_id: 't1-implementer', pids: [8, 9] }, 't1-implementer: stopped 2 process(es) it left behind'],
  ['verification.command', { epoch: 1, index: 2, command: 'npm test' }, 'verification 2 (epoch 1): npm test'],
  ['verification.result', { epoch: 1, index: 2, command: 'npm test', exit_code: 1, outcome: 'failed' }, 'verification 2 (epoch 1): npm test → exit 1, failed'],
  ['verification.result', { epoch: 1, index: 1, command: 'npm test', exit_code: null, outcome: 'timed_out' }, 'verification 1 (epoch 1): npm test → timed_out'],
  ['verification.orphan_killed', { epoch: 1, pid: 5, command: 'npm test' }, "verification (epoch 1): killed npm test (pid 5) left by a stopped driver; the epoch's commands run again"],
  ['workspace.ready', { path: '/r/w', branch: 'buran/x', head: 'abc', reused: false }, 'worktree /r/w on new branch buran/x'],
  ['workspace.ready', { path: '/r/w', branch: 'buran/x', head: 'abc', reused: false, continued: { ahead: 2, behind: 0, base: 'main' } },
    'branch buran/x exists, 2 ahead / 0 behind main: continuing it (worktree /r/w)'],
  ['workspace.setup', { index: 1, command: 'npm ci' }, 'setup 1: npm ci'],
  ['workspace.setup_result', { index: 1, command: 'npm ci', exit_code: 1, outcome: 'failed' }, 'setup 1: npm ci → exit 1, failed'],
  ['workspace.setup_result', { index: 2, command: 'make deps', exit_code: null, outcome: 'timed_out' }, 'setup 2: make deps → timed_out'],
  ['workspace.setup_orphan_killed', { index: 1, pid: 5 }, 'setup 1: killed pid 5 left by a stopped driver; setup runs again'],
  ['workspace.removed', { path: '/r/w' }, 'worktree /r/w removed after the handoff'],
  ['workspace.kept', { path: '/r/w', reason: 'busy' }, 'worktree /r/w kept: busy (buran clean removes it)'],
  ['agent.pause', { until: '2026-11-30T11:00:00.000Z' }, 'waiting for the agent until 2026-11-30T11:00:00.000Z; no retry is spent'],
  ['lease.renew_failed', { message: 'EACCES' }, 'lease renewal failed: EACCES'],
  ['lease.release_failed', { message: 'ENOSPC' }, 'leases not released at the end: ENOSPC (they expire by themselves)'],
];

describe('journal entries in words (events, run progress)', () => {
  it.each(SAMPLES)('%s', (type, fields, words) => {
    const line = describeEntry(entry(type, fields));
    expect(line).toBe(words);
    expect(line).not.toMatch(/xstate/);
  });

  it('a run transition for live progress names top-level states only', () => {
    const e = entry('run.transition', { from: 'verification.running_commands', to: 'fix_loop.awaiting', event: 'xstate.done.actor.verification', verdict: 'FAIL', epoch: 1 });
    expect(describeEntry(e, { topStates: true })).toBe('verification → fix_loop  (verification FAIL in epoch 1)');
  });

  it('every entry type the journal knows has a sample here', () => {
    expect([...new Set(SAMPLES.map(([type]) => type))].sort()).toEqual([...JOURNAL_ENTRY_TYPES].sort());
  });
});
