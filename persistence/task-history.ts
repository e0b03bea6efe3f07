import type { TaskRecord } from '../machines/types.ts';
import type { JournalEntry } from './journal-entries.ts';

const SETTLED = new Set(['completed', 'failed', 'blocked', 'timed_out', 'cancelled', 'interrupted']);

/** Every worker task of a run, rebuilt from its journal's task.transition entries. */
export function taskHistory(entries: readonly JournalEntry[]): TaskRecord[] {
  const tasks = new Map<string, TaskRecord>();
  for (const entry of entries) {
    if (entry.type !== 'task.transition') continue;
    // The first entry of a task names it (role, attempt, epoch, retry); its last carries the judgement.
    const e = entry as typeof entry & Partial<Pick<TaskRecord, 'role' | 'attempt' | 'epoch' | 'retry' | 'decision' | 'code' | 'verdict'>>;
    const known = tasks.get(e.task_id);
    const record: TaskRecord = known ?? {
      task_id: e.task_id, role: e.role ?? 'implementer', attempt: e.attempt ?? 1, epoch: e.epoch ?? 0, retry: e.retry ?? 0,
      status: 'dispatched', decision: 'none', code: null, verdict: null,
    };
    if (SETTLED.has(e.to)) {
      record.status = e.to as TaskRecord['status'];
      record.decision = e.decision ?? record.decision;
      record.code = e.code ?? null;
      record.verdict = e.verdict ?? null;
    }
    tasks.set(e.task_id, record);
  }
  // A preset agent's cost and turns, as its stream reported them.
  for (const entry of entries) {
    if (entry.type !== 'worker.finished') continue;
    const e = entry as typeof entry & {
      cost_usd?: number | null; turns?: number | null; agent_outcome?: string; session_id?: string; resumed_session?: string;
    };
    const record = tasks.get(e.task_id);
    if (record && (e.cost_usd !== undefined || e.turns !== undefined)) Object.assign(record, { cost_usd: e.cost_usd ?? null, turns: e.turns ?? null });
    // How the agent's dispatch ended, and the session it ran in (and continued, for a fixer).
    if (record && e.agent_outcome !== undefined) record.agent_outcome = e.agent_outcome;
    if (record && e.session_id !== undefined) record.session_id = e.session_id;
    if (record && e.resumed_session !== undefined) record.resumed_session = e.resumed_session;
  }
  return [...tasks.values()];
}
