import type { JournalEntry } from './journal-entries.ts';
import { JournalFold } from './journal-fold.ts';

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
  return JournalFold.of(entries).contradiction;
}
