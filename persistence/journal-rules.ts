import type { JournalEntry } from './records.ts';

/** Entries that record a state change of the run or a task: replayable, so comparable. */
export const STATE_ENTRY_TYPES: ReadonlySet<string> = new Set(['run.created', 'run.transition', 'task.transition', 'task.duplicate']);

/** What two state entries must agree on to describe the same step. */
export function sameStep(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return a.type === b.type && a.from === b.from && a.to === b.to && (a.task_id ?? null) === (b.task_id ?? null);
}

/**
 * Finds the first place where the journal contradicts itself: a run or task transition that
 * does not start where the previous one of the same actor ended. Null when consistent.
 */
export function findContradiction(entries: readonly JournalEntry[]): string | null {
  let run: string | null | undefined;
  const tasks = new Map<string, unknown>();
  for (const e of entries as ReadonlyArray<JournalEntry & { from?: unknown; to?: unknown; task_id?: string }>) {
    if (e.type === 'run.created') {
      if (run !== undefined) return `seq ${e.seq}: a second run.created`;
      run = e.to as string;
    } else if (e.type === 'run.transition') {
      if (run === undefined) return `seq ${e.seq}: a run transition before run.created`;
      if (e.from !== run) return `seq ${e.seq}: run transition from ${String(e.from)}, but the run was in ${run}`;
      run = e.to as string;
    } else if (e.type === 'task.transition' && typeof e.task_id === 'string') {
      const from = tasks.has(e.task_id) ? tasks.get(e.task_id) : null;
      if (e.from !== from) return `seq ${e.seq}: task ${e.task_id} transition from ${String(e.from)}, but it was in ${String(from)}`;
      tasks.set(e.task_id, e.to);
    }
  }
  return null;
}
