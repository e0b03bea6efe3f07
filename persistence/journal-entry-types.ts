/**
 * The names of the journal's entry types, apart from their shapes (journal-entries.ts): a reader
 * that checks only the envelope and the type (status, list) needs these without loading zod.
 * journal-entries.ts gives every one of them a shape, and the compiler holds the two lists equal.
 */
export const JOURNAL_ENTRY_TYPES = [
  'run.created', 'run.transition', 'task.transition', 'task.duplicate',
  'worker.started', 'worker.adopted', 'worker.finished', 'worker.ingested', 'worker.interrupted', 'worker.lingered', 'worker.held', 'worker.strays_stopped',
  'agent.pause',
  'fleet.claimed', 'fleet.checkpoint', 'fleet.checkpoint_failed', 'fleet.restored', 'worker.restarted_elsewhere',
  'verification.command', 'verification.result', 'verification.orphan_killed',
  'workspace.ready', 'workspace.removed', 'workspace.kept', 'workspace.setup', 'workspace.setup_result', 'workspace.setup_orphan_killed',
  'lease.renew_failed', 'lease.release_failed',
] as const;

/** Every journal entry type. */
export type JournalEntryType = (typeof JOURNAL_ENTRY_TYPES)[number];

const KNOWN: ReadonlySet<string> = new Set(JOURNAL_ENTRY_TYPES);

/** A known entry type (the cheap check a hot reader makes per line). */
export const isJournalEntryType = (type: unknown): type is JournalEntryType => typeof type === 'string' && KNOWN.has(type);

/** The entries that record a state change of the run or a task: replayable, so comparable. */
export const STATE_ENTRY_TYPES: ReadonlySet<JournalEntryType> = new Set(['run.created', 'run.transition', 'task.transition', 'task.duplicate']);
