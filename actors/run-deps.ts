import type { RunLayout } from '../persistence/layout.ts';
import type { RunMeta } from '../persistence/records.ts';
import type { JournalDraft } from '../persistence/journal-entries.ts';
import type { Registry } from '../persistence/port.ts';
import type { RunRecords } from '../persistence/run-records.ts';
import type { Plan } from '../machines/types.ts';

/** Everything the run's effect actors need, injected once by the driver. */
export interface RunDeps {
  registry: Registry;
  /** The run's effect records in the registry. */
  records: RunRecords;
  /** This host's files of the run (under the registry's work root): task files, logs, the handoff's patch. */
  layout: RunLayout;
  meta: RunMeta;
  plan: Plan;
  packet: unknown;
  env: NodeJS.ProcessEnv;
  secrets: readonly string[];
  killGraceMs: number;
  now: () => Date;
  /** Appends a worker-task or gate event to the journal (durable with the next flush). */
  record: (draft: JournalDraft) => void;
  /** Aborted when the driver stops on purpose: workers' groups are killed, nothing is judged. */
  stopSignal: AbortSignal;
  /** Effects still settling, awaited before the driver exits. */
  track: <T>(work: Promise<T>) => Promise<T>;
  /**
   * An effect met a registry problem (isRegistryProblem: a damaged record, a full disk): the driver
   * stops the run where it is, with no transition, and reports the problem.
   */
  halt: (error: unknown) => void;
}
