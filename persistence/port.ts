import type { Lease, LeaseClaim, LeaseOutcome, HolderIsLive } from './lease.ts';
import type { JournalDraft } from './journal.ts';
import type { JournalFold } from './journal-fold.ts';
import type { JournalEntry, RunMeta, SnapshotEnvelope } from './records.ts';
import type { BatchProgress, BatchRecord } from './batch-store.ts';
import type { QuarantineRecord } from './quarantine.ts';
import type { CancelRequest } from './cancel-request.ts';
import type { RegistryCorruptError } from './errors.ts';

/**
 * The registry port: everything Buran keeps about runs, behind one narrow interface. The directory
 * registry (the embedded default) and the PostgreSQL registry (a fleet of hosts) implement it, and
 * both pass one contract test suite (test/persistence/registry-contract.ts). Nothing outside
 * persistence/ touches the registry's storage.
 *
 * What a run keeps on its host's disk is not here: its workspace, the task files and completion
 * slots its workers read and write, and its logs while they are written (see `work`).
 */
export interface Registry {
  /** 'directory' or 'postgres'. */
  readonly kind: RegistryKind;
  /** Where it is, for messages: a folder, or a database URL without its password. */
  readonly location: string;

  // --- runs ----------------------------------------------------------------------------------

  /** Records a new run (its intake record and frozen packet), all or nothing; RunExistsError when taken. */
  createRun(meta: RunMeta, packet: Record<string, unknown>): Promise<void>;
  /** RunNotFoundError when the run is not there. */
  assertRun(runId: string): Promise<void>;
  readMeta(runId: string): Promise<RunMeta>;
  /** The frozen packet; a damaged one is RegistryCorruptError. */
  readPacket(runId: string): Promise<Record<string, unknown>>;
  /** Every run's summary, newest update first; `state` filters, `limit` stops early. Reads no journals. */
  listRuns(query?: { state?: string; limit?: number }): Promise<RunSummary[]>;
  /** Run ids, oldest first (batch and clean sweeps). */
  runIds(): Promise<string[]>;

  // --- one run's history ------------------------------------------------------------------------

  readSnapshot(runId: string): Promise<SnapshotEnvelope | null>;
  /** Journal entries with seq > `after` (default 0), oldest first; damaged is RegistryCorruptError. */
  readJournal(runId: string, options?: { after?: number; whileWritten?: boolean }): Promise<JournalEntry[]>;
  /**
   * What `status` reads of a run, as readSnapshot, readJournal (its whole entries, folded: see
   * journal-fold.ts) and readMeta give it, checked against each other (quarantine.ts
   * checkRecords), and `keep`, which a registry may use to keep what it read for the next reader
   * (a no-op where nothing is kept). Damaged is RegistryCorruptError.
   */
  readForStatus(runId: string): Promise<StatusRead>;

  /** Takes the run's single-writer ownership (RunLockedError naming the holder); see RunSession. */
  openRun(runId: string): Promise<RunSession>;
  /** Who drives the run now, as recorded (the holder may have died since), or null. */
  readOwner(runId: string): Promise<RunOwner | null>;

  // --- effect records: the idempotency of every effect ------------------------------------------

  /** A record an effect left (`tasks/<task>/dispatch`, `epochs/<n>/verification` …), or null. */
  readEffect<T>(runId: string, key: EffectKey, accept: (value: unknown) => value is T, what: string): Promise<T | null>;
  /** Writes an effect record durably, replacing any previous value under the key. */
  writeEffect(runId: string, key: EffectKey, value: unknown): Promise<void>;
  /** Removes an effect record (a running command's marker once it is done). */
  removeEffect(runId: string, key: EffectKey): Promise<void>;
  /** The keys of a run's effect records under a prefix (`tasks/`), in no order. */
  effectKeys(runId: string, prefix: string): Promise<EffectKey[]>;

  // --- what other processes ask of a run --------------------------------------------------------

  requestCancel(runId: string, reason: string): Promise<void>;
  readCancelRequest(runId: string): Promise<CancelRequest | null>;
  linkRetry(fromRunId: string, toRunId: string): Promise<void>;
  readRetries(runId: string): Promise<string[]>;

  // --- quarantine -------------------------------------------------------------------------------

  /** Sets the run aside (its records are left exactly as they are). */
  quarantine(runId: string, error: RegistryCorruptError): Promise<void>;
  readQuarantine(runId: string): Promise<QuarantineRecord | null>;

  // --- leases -----------------------------------------------------------------------------------

  /** Every claim or none; the first conflicting live holder otherwise (CONTRACT 8). */
  acquireLeases(runId: string, claims: LeaseClaim[], ttlMs: number, now: Date, holderIsLive: HolderIsLive): Promise<LeaseOutcome>;
  renewLeases(runId: string, ttlMs: number, now: Date): Promise<number>;
  releaseLeases(runId: string): Promise<number>;
  leasesHeldBy(runId: string): Promise<Lease[]>;
  allLeases(): Promise<Lease[]>;

  // --- batches ----------------------------------------------------------------------------------

  createBatch(record: BatchRecord, packets: Record<string, unknown>[]): Promise<void>;
  readBatch(batchId: string): Promise<{ record: BatchRecord; packets: Record<string, unknown>[] }>;
  appendBatchProgress(batchId: string, progress: BatchProgress): Promise<void>;
  readBatchProgress(batchId: string): Promise<BatchProgress[]>;

  /** Where this host keeps runs' own files: workspaces (`worktrees/`), task files, completion slots, logs. */
  readonly workRoot: string;
  /** How a record of a run is named in messages (a file path, or a table and run id). */
  recordName(runId: string, record: 'meta' | 'packet' | 'snapshot' | 'journal' | 'lock'): string;

  /** Lets go of connections (a database pool); the directory registry has none. */
  close(): Promise<void>;
}

export type RegistryKind = 'directory' | 'postgres';

/**
 * The key of an effect record: a path-like name inside a run. The directory registry keeps it as
 * `runs/<id>/<key>.json` (the layout of earlier versions); a database keeps it as a row.
 */
export type EffectKey = string;

/** The effect records' keys, in one place. */
export const EFFECTS = {
  intake: 'intake',
  taskIntent: (taskId: string) => `tasks/${taskId}/dispatch`,
  taskOutcome: (taskId: string) => `tasks/${taskId}/outcome`,
  taskAgent: (taskId: string) => `tasks/${taskId}/agent`,
  verification: (epoch: number) => `epochs/${epoch}/verification`,
  verificationRunning: (epoch: number) => `epochs/${epoch}/running`,
  setup: 'setup/setup',
  setupRunning: 'setup/running',
  handoff: (kind: 'local' | 'git-branch' | 'github-pr') => (kind === 'local' ? 'handoff/handoff' : `handoff/handoff-${kind}`),
} as const;

/** What status reads of a run; call `keep` once the run proved sound (nothing is kept otherwise). */
export interface StatusRead {
  snapshot: SnapshotEnvelope | null;
  fold: JournalFold;
  meta: RunMeta;
  keep(): void;
}

/** The process that holds a run: its host and, on that host, its pid and kernel start time. */
export interface RunOwner {
  host: string;
  pid: number;
  start: string | null;
}

/** One line of `buran list`, kept up to date by every snapshot save (no journal is read to list runs). */
export interface RunSummary {
  run_id: string;
  state: string;
  updated_at: string | null;
  blocker: string | null;
  cost_usd: number;
  quarantined: boolean;
}

/**
 * The one writer of a run's history while it is driven: journal appends (contiguous seq numbers,
 * durable when they resolve) and snapshot saves, in that order. A session that has lost its run
 * (another host took it over) refuses to write: RunOwnershipLostError, and nothing lands.
 */
export interface RunSession {
  readonly runId: string;
  /** The journal as it was when the session opened. */
  readonly existing: readonly JournalEntry[];
  /** The last snapshot saved: the one found at opening, then each one this session saves. */
  readonly snapshot: SnapshotEnvelope | null;
  readonly lastSeq: number;
  /** Numbers and stores the drafts; resolves once they are durable. */
  append(drafts: JournalDraft[], now: Date): Promise<JournalEntry[]>;
  /** Saves the snapshot (and the run's summary); resolves to its size in bytes. */
  saveSnapshot(envelope: SnapshotEnvelope): Promise<number>;
  /** The reason once another process (or host) asked for this run to be cancelled, else null (cheap: polled while driving). */
  cancelReason(): Promise<string | null>;
  /** Lets go of the run (the next driver may take it). */
  release(): Promise<void>;
}
