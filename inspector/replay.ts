// A run's journal for the page's replay timeline, redacted.
import { TERMINAL_STATES } from '../machines/states.ts';
import type { JournalEntry } from '../persistence/records.ts';
import type { Registry } from '../persistence/port.ts';
import { refuseQuarantinedRun } from '../persistence/quarantine.ts';
import { redactDeep } from './live-feed.ts';

/** A run's journal for replay, with where it stands. */
export interface RunJournal {
  run_id: string;
  state: string;
  terminal: boolean;
  entries: JournalEntry[];
}

const RUN_ENTRY = new Set(['run.created', 'run.transition']);
const topOf = (path: string) => path.split('.')[0] ?? path;

/** The run's journal, every string redacted again (the inspector's own environment may know more secrets). */
export async function runJournal(registry: Registry, runId: string, secrets: readonly string[]): Promise<RunJournal> {
  await registry.assertRun(runId);
  await refuseQuarantinedRun(registry, runId);
  // The run may be live: a half-written last line is left for the next read.
  const entries = redactDeep(await registry.readJournal(runId, { whileWritten: true }), secrets);
  const last = [...entries].reverse().find((e) => RUN_ENTRY.has(e.type));
  const state = typeof last?.to === 'string' ? topOf(last.to) : 'packet_received';
  return { run_id: runId, state, terminal: TERMINAL_STATES.has(state), entries };
}
