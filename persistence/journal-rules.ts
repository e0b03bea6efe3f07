import type { JournalEntry } from './journal-entries.ts';

export { STATE_ENTRY_TYPES } from './journal-entry-types.ts';

/** What two state entries must agree on to describe the same step. */
export function sameStep(a: { type: string; [k: string]: unknown }, b: { type: string; [k: string]: unknown }): boolean {
  return a.type === b.type && a.from === b.from && a.to === b.to && (a.task_id ?? null) === (b.task_id ?? null);
}

/**
 * Finds the first place where the journal contradicts itself: a run or task transition that
 * does not start where the previous one of the same actor ended. Null when consistent.
 */
export function findContradiction(entries: readonly JournalEntry[]): string | null {
  let run: string | undefined;
  const tasks = new Map<string, string | null>();
  for (const e of entries) {
    switch (e.type) {
      case 'run.created':
        if (run !== undefined) return `seq ${e.seq}: a second run.created`;
        run = e.to;
        break;
      case 'run.transition':
        if (run === undefined) return `seq ${e.seq}: a run transition before run.created`;
        if (e.from !== run) return `seq ${e.seq}: run transition from ${e.from}, but the run was in ${run}`;
        run = e.to;
        break;
      case 'task.transition': {
        const from = tasks.has(e.task_id) ? tasks.get(e.task_id)! : null;
        if (e.from !== from) return `seq ${e.seq}: task ${e.task_id} transition from ${String(e.from)}, but it was in ${String(from)}`;
        tasks.set(e.task_id, e.to);
        break;
      }
      default:
        break;
    }
  }
  return null;
}
