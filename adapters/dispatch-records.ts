// The dispatch's own records in a task folder, read strictly: they are written atomically, so text
// that does not parse was damaged, and reading it as "absent" would start the task a second time
// while its first worker may still run in the same workspace.
import type { WorkerRun } from '../machines/types.ts';
import type { ProcessIdentity } from '../persistence/process-identity.ts';
import { readJsonRecord } from '../persistence/record-file.ts';

/** The dispatch intent, written before the worker is awaited so a later driver can reconcile. */
export interface DispatchIntent {
  task_id: string;
  /** Null between "about to start" and "started": a crash there leaves only the environment to go by. */
  process: ProcessIdentity | null;
  started_at: string;
  deadline: number;
  interrupted: boolean;
  /** How many times this task was started with no process recorded before (a driver died each time); absent in older records. */
  starts?: number;
}

const isIdentity = (v: unknown): v is ProcessIdentity => {
  const p = v as Partial<ProcessIdentity> | null;
  return typeof p === 'object' && p !== null && Number.isInteger(p.pid) && (p.start === null || typeof p.start === 'string');
};

const isIntent = (v: unknown): v is DispatchIntent => {
  const i = v as Partial<DispatchIntent> | null;
  return typeof i === 'object' && i !== null && typeof i.task_id === 'string' && (i.process === null || isIdentity(i.process))
    && typeof i.started_at === 'string' && typeof i.deadline === 'number' && typeof i.interrupted === 'boolean';
};

const RUN_KINDS = new Set(['exited', 'timed_out', 'start_failed', 'lost']);
const isRun = (v: unknown): v is WorkerRun => typeof v === 'object' && v !== null && RUN_KINDS.has((v as { kind?: string }).kind ?? '');

/** dispatch.json, or null before the dispatch began; damaged is RegistryCorruptError (the run is quarantined). */
export const readIntent = (path: string) => readJsonRecord(path, isIntent, 'dispatch intent (task_id, process, started_at, deadline, interrupted)');

/** outcome.json, or null before the dispatch ended; damaged is RegistryCorruptError. */
export const readOutcome = (path: string) => readJsonRecord(path, isRun, 'worker outcome');

/** A verification command's running.json ({ process, command }), or null; damaged is RegistryCorruptError. */
export const readRunningCommand = (path: string) =>
  readJsonRecord(path, (v): v is { process: ProcessIdentity; index: number; command: string } =>
    typeof v === 'object' && v !== null && isIdentity((v as { process?: unknown }).process) && typeof (v as { command?: unknown }).command === 'string',
  'running verification command (process, command)');
