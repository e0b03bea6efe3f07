import type { JournalEntry, SnapshotEnvelope } from '../records.ts';
import type { RunSummary } from '../port.ts';

/** The summary columns a snapshot sets: what `list` shows of the run. */
export interface SummaryColumns {
  state: string;
  updated_at: string;
  blocker: string | null;
  cost_usd: number;
}

/** What a snapshot says of the run, as `list` shows it. */
export function summaryOfSnapshot(envelope: SnapshotEnvelope): SummaryColumns {
  const context = envelope.snapshot.context as { blocker?: { code?: unknown } | null; cost_usd?: unknown };
  const code = context.blocker?.code;
  const cost = context.cost_usd;
  return {
    state: envelope.state,
    updated_at: envelope.updated_at,
    blocker: typeof code === 'string' ? code : null,
    cost_usd: typeof cost === 'number' && Number.isFinite(cost) ? cost : 0,
  };
}

/**
 * Before a run's first snapshot, its latest run transition says where it is (its top-level state),
 * and when: the state a batch of appended entries leaves the summary in, or null when none moves it.
 */
export function stateOfEntries(entries: readonly JournalEntry[]): { state: string; updated_at: string } | null {
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i]! as JournalEntry & { to?: unknown };
    if ((entry.type === 'run.transition' || entry.type === 'run.created') && typeof entry.to === 'string') {
      return { state: entry.to.split('.')[0]!, updated_at: entry.at };
    }
  }
  return null;
}

/** A row of `runs` as a summary; a quarantined run is listed as such (its records are not trusted). */
export function summaryOfRow(row: { run_id: string; state: string; updated_at: string | null; blocker: string | null; cost_usd: number; quarantined: boolean }): RunSummary {
  if (row.quarantined) return { run_id: row.run_id, state: 'quarantined', updated_at: null, blocker: 'registry_corrupt', cost_usd: 0, quarantined: true };
  return { run_id: row.run_id, state: row.state, updated_at: row.updated_at, blocker: row.blocker, cost_usd: row.cost_usd, quarantined: false };
}
