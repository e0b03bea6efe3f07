import type { JournalDraft } from '../persistence/journal-entries.ts';
import type { RunRecords } from '../persistence/run-records.ts';

/** What a run's own commands (workspace.setup, verification) need from the run, whichever they are. */
export interface CommandContext {
  /** Names the registry in the commands' environment (BURAN_REGISTRY). */
  registryId: string;
  runId: string;
  /** The run's effect records (the report, the running command). */
  records: RunRecords;
  workspace: string;
  env: NodeJS.ProcessEnv;
  secrets: readonly string[];
  killGraceMs: number;
  record: (draft: JournalDraft) => void;
  signal?: AbortSignal;
}
