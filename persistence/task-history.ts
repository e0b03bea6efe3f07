import type { TaskRecord } from '../machines/types.ts';
import type { JournalEntry } from './journal-entries.ts';
import { JournalFold } from './journal-fold.ts';

/** Every worker task of a run, rebuilt from its journal's task.transition (and worker.finished) entries. */
export function taskHistory(entries: readonly JournalEntry[]): TaskRecord[] {
  return JournalFold.of(entries).tasks();
}
