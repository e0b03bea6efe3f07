import type { JournalEntry } from '../persistence/records.ts';
import { describeEntry } from './journal-words.ts';

/**
 * Live progress lines (stderr, with or without a TTY): state changes, what each worker, setup and
 * verification command did, pauses and recoveries, with the time since the drive started.
 */
export function progressPrinter(write: (line: string) => void, started = Date.now()): (entry: JournalEntry) => void {
  return (entry) => {
    if (!worthFollowing(entry as JournalEntry & Record<string, unknown>)) return;
    const elapsed = `+${((Date.now() - started) / 1000).toFixed(1)}s`.padStart(8);
    const indent = entry.type.startsWith('run.') ? '' : '  ';
    write(`${elapsed}  ${indent}${describeEntry(entry, { topStates: true })}`);
  };
}

const top = (path: unknown) => (typeof path === 'string' ? path.split('.')[0] : null);
const SETTLED_BADLY = new Set(['failed', 'blocked', 'timed_out', 'cancelled', 'interrupted']);

// `buran events` has every entry; a live run shows what a person follows: no sub-state steps,
// no task bookkeeping that a worker line already says.
function worthFollowing(e: JournalEntry & Record<string, unknown>): boolean {
  switch (e.type) {
    case 'run.created': return true;
    case 'run.transition': return top(e.from) !== top(e.to) || e.event === 'run.resume' || e.event === 'run.cancel';
    case 'task.transition': return SETTLED_BADLY.has(String(e.to));
    case 'task.duplicate': return true;
    case 'workspace.ready': return e.reused !== true || e.continued !== undefined;
    default: return /^(worker|verification|workspace|agent|lease)\./.test(e.type);
  }
}
