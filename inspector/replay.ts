// Read-only registry views the inspector page replays: the list of runs and one run's journal, redacted.
import { TERMINAL_STATES } from '../machines/states.ts';
import { readJournal } from '../persistence/journal.ts';
import { runLayout } from '../persistence/layout.ts';
import type { JournalEntry } from '../persistence/records.ts';
import { findRun, listRunIds } from '../persistence/registry.ts';
import { readSnapshot } from '../persistence/snapshot-store.ts';
import { refuseIfQuarantined } from '../persistence/quarantine.ts';
import { RegistryCorruptError } from '../persistence/errors.ts';
import { redactDeep } from './live-feed.ts';

/** One row of the page's run picker. */
export interface RunRow {
  run_id: string;
  state: string;
  updated_at: string | null;
  terminal: boolean;
}

/** A run's journal for replay, with where it stands. */
export interface RunJournal {
  run_id: string;
  state: string;
  terminal: boolean;
  entries: JournalEntry[];
}

const RUN_ENTRY = new Set(['run.created', 'run.transition']);
const topOf = (path: string) => path.split('.')[0] ?? path;

/** Every run in the registry, newest update first; a corrupt one is listed as quarantined. */
export async function listRuns(registry: string): Promise<RunRow[]> {
  const rows: RunRow[] = [];
  for (const run_id of await listRunIds(registry)) {
    try {
      const layout = runLayout(registry, run_id);
      await refuseIfQuarantined(layout);
      const envelope = await readSnapshot(layout.snapshot);
      const state = envelope?.state ?? 'packet_received';
      rows.push({ run_id, state, updated_at: envelope?.updated_at ?? null, terminal: TERMINAL_STATES.has(state) });
    } catch (error) {
      if (!(error instanceof RegistryCorruptError)) throw error;
      rows.push({ run_id, state: 'quarantined', updated_at: null, terminal: true });
    }
  }
  return rows.sort((a, b) => (b.updated_at ?? '').localeCompare(a.updated_at ?? ''));
}

/** The run's journal, every string redacted again (the inspector's own environment may know more secrets). */
export async function runJournal(registry: string, runId: string, secrets: readonly string[]): Promise<RunJournal> {
  const layout = await findRun(registry, runId);
  await refuseIfQuarantined(layout);
  const entries = redactDeep(await readJournal(layout.journal), secrets);
  const last = [...entries].reverse().find((e) => RUN_ENTRY.has(e.type));
  const state = typeof last?.to === 'string' ? topOf(last.to) : 'packet_received';
  return { run_id: runId, state, terminal: TERMINAL_STATES.has(state), entries };
}
