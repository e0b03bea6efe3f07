// Everything a run's page shows, read from the registry through the same readers as `buran status`,
// `buran logs` and `buran diff`; redacted.
import { listLogSections, readLogText, readRunChange, type LogSection, type RunChange } from '../adapters/run-output.ts';
import type { TaskRecord } from '../machines/types.ts';
import type { JournalEntry } from '../persistence/records.ts';
import type { Registry } from '../persistence/port.ts';
import { runLayout } from '../persistence/layout.ts';
import { runRecords } from '../persistence/run-records.ts';
import { taskHistory } from '../persistence/task-history.ts';
import { redactDeep } from './live-feed.ts';
import { runFacts, type RunFacts } from './run-facts.ts';

/** A log as the page shows it: its end, when it is long. */
export interface PageLog {
  section: LogSection;
  text: string;
  /** Characters left out from the start. */
  cut: number;
}

/** A run's page. */
export interface RunPageData {
  facts: RunFacts;
  tasks: TaskRecord[];
  entries: JournalEntry[];
  logs: PageLog[];
  change: RunChange;
}

/** A page holds the last this many characters of each log (`buran logs` prints them whole). */
export const LOG_CHARS = 64 * 1024;
/** And this much of the change (`buran diff` prints it whole). */
export const DIFF_CHARS = 256 * 1024;

/** Reads the run's page (RunNotFoundError / RegistryCorruptError propagate). */
export async function runPageData(registry: Registry, runId: string, secrets: readonly string[], now = Date.now()): Promise<RunPageData> {
  await registry.assertRun(runId);
  const facts = await runFacts(registry, runId, secrets, now);
  if (facts.state === 'quarantined') {
    return { facts, tasks: [], entries: [], logs: [], change: { source: 'none', path: null, patch: '', note: 'the run is quarantined: its records failed validation' } };
  }
  const entries = await registry.readJournal(runId, { whileWritten: true });
  const meta = await registry.readMeta(runId);
  const logs: PageLog[] = [];
  for (const section of await listLogSections(runRecords(registry, runId), runLayout(registry.workRoot, runId), entries)) {
    const text = await readLogText(section, secrets);
    const cut = Math.max(0, text.length - LOG_CHARS);
    logs.push({ section, text: text.slice(cut), cut });
  }
  const change = await readRunChange(registry, runId, meta.workspace, secrets);
  if (change.patch.length > DIFF_CHARS) change.patch = change.patch.slice(0, DIFF_CHARS);
  return { facts, tasks: redactDeep(taskHistory(entries), secrets), entries: redactDeep(entries, secrets), logs, change };
}
