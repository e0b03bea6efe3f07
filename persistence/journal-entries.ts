import { z } from '../schemas/zod.ts';
import { JOURNAL_ENTRY_TYPES, type JournalEntryType } from './journal-entry-types.ts';

export { JOURNAL_ENTRY_TYPES, STATE_ENTRY_TYPES, isJournalEntryType, type JournalEntryType } from './journal-entry-types.ts';

/**
 * The run journal's entries: one closed union, written and read only through it. Every writer
 * (the transition observer, the effects, the driver) builds a `JournalDraft` of one of these
 * types, and every reader (progress, events, status, the batch view, the inspector) switches on
 * `type`. Entries keep any further field they were written with (older versions wrote more).
 */

const text = z.string();
const int = z.int();
const nullableText = z.nullable(z.string());

const shapes = {
  /** The run's first state. */
  'run.created': { from: z.null(), to: text, event: text },
  /** A step of the run chart: the state path it left and entered, and the event that caused it. */
  'run.transition': { from: text, to: text, event: text },
  /** A step of a worker-task chart; the first names the task fully, the last carries its judgement. */
  'task.transition': { task_id: text, from: nullableText, to: text },
  /** A settlement of a task that is no longer current: recorded, and changes nothing. */
  'task.duplicate': { task_id: text, message: text },
  'worker.started': { task_id: text, role: text, pid: int },
  'worker.adopted': { task_id: text, pid: int },
  'worker.finished': { task_id: text, kind: text },
  'worker.ingested': { task_id: text, completion: text },
  'worker.interrupted': { task_id: text, pid: z.nullable(int) },
  'worker.lingered': { task_id: text, grace_ms: int },
  'worker.held': { task_id: text, until: text, by: text },
  'worker.strays_stopped': { task_id: text, pids: z.array(int) },
  'agent.pause': { until: text },
  /** A runner host took the run: from the queue, or over from a host that stopped heartbeating. */
  'fleet.claimed': { host: text, kind: text },
  /** The workspace after an accepted completion, pushed to fleet.remote (or why it could not be). */
  'fleet.checkpoint': { task_id: text, commit: text },
  'fleet.checkpoint_failed': { task_id: text, message: text },
  /** A taken-over run's fresh workspace got the checkpoint of its last accepted completion (commit null: none on the remote). */
  'fleet.restored': { task_id: text, commit: nullableText },
  /** A taken-over run's task whose worker ran on another host: started again here, no retry spent. */
  'worker.restarted_elsewhere': { task_id: text, previous_host: text },
  'verification.command': { epoch: int, index: int, command: text },
  'verification.result': { epoch: int, index: int, command: text, exit_code: z.nullable(int), outcome: text },
  'verification.orphan_killed': { epoch: int, pid: int, command: text },
  'workspace.ready': { path: text, branch: text, head: nullableText, reused: z.boolean() },
  'workspace.removed': { path: text },
  'workspace.kept': { path: text, reason: text },
  'workspace.setup': { index: int, command: text },
  'workspace.setup_result': { index: int, command: text, exit_code: z.nullable(int), outcome: text },
  'workspace.setup_orphan_killed': { pid: int, index: int },
  'lease.renew_failed': { message: text },
  'lease.release_failed': { message: text },
} as const satisfies { [T in JournalEntryType]: Record<string, z.ZodMiniType> };

type Shapes = typeof shapes;

const envelope = { seq: int.check(z.minimum(1)), at: text };
const variant = <T extends JournalEntryType>(type: T) => z.looseObject({ ...envelope, type: z.literal(type), ...shapes[type] });
const variants = JOURNAL_ENTRY_TYPES.map((type) => variant(type)) as unknown as [ReturnType<typeof variant<JournalEntryType>>];

/** One line of journal.jsonl, checked whole. */
export const JournalEntrySchema = z.discriminatedUnion('type', variants);

type Body<T extends JournalEntryType> = { type: T } & { [K in keyof Shapes[T]]: z.infer<Shapes[T][K]> } & Record<string, unknown>;
/** Any journal entry. */
export type JournalEntry = { [T in JournalEntryType]: { seq: number; at: string } & Body<T> }[JournalEntryType];
/** An entry of one type, as written (with its seq and time). */
export type JournalEntryOf<T extends JournalEntryType> = Extract<JournalEntry, { type: T }>;
/** An entry before the journal numbers and stamps it. */
export type JournalDraft = { [T in JournalEntryType]: Body<T> }[JournalEntryType];

/** Narrows an entry to one type. */
export const isEntry = <T extends JournalEntryType>(entry: JournalEntry, type: T): entry is JournalEntryOf<T> => entry.type === type;
