// The effect records of dispatches and commands, read strictly: they are written atomically, so
// text that does not parse was damaged, and reading it as "absent" would start the task a second
// time while its first worker may still run in the same workspace.
import type { CompletionRead } from '../schemas/completion.ts';
import type { HandoffRecord, VerificationReport, WorkerRun } from '../machines/types.ts';
import type { SetupReport } from '../machines/workspace-rules.ts';
import type { ProcessIdentity } from '../persistence/process-identity.ts';
import { EFFECTS } from '../persistence/port.ts';
import type { RunRecords } from '../persistence/run-records.ts';
import type { AgentReport } from './preset-worker.ts';

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
  /** The runner host whose kernel the pid belongs to (absent in older records: this host). */
  host?: string;
}

/** A command that is running (setup or verification), recorded so a later driver can stop it. */
export interface RunningCommand {
  process: ProcessIdentity;
  index: number;
  command?: string;
  /** The host that runs it (absent in older records: this host). */
  host?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

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
const isRun = (v: unknown): v is WorkerRun => isObject(v) && RUN_KINDS.has((v as { kind?: string }).kind ?? '');
const isRunning = (v: unknown): v is RunningCommand => isObject(v) && isIdentity(v.process) && typeof v.index === 'number';
const isReport = (v: unknown): v is VerificationReport =>
  isObject(v) && ['PASS', 'FAIL', 'BLOCKED'].includes(v.verdict as string) && Array.isArray(v.commands);
const isSetup = (v: unknown): v is SetupReport => isObject(v) && Array.isArray(v.commands);
const isHandoff = (v: unknown): v is HandoffRecord => isObject(v) && typeof v.kind === 'string' && typeof v.summary_path === 'string';
const isAgent = (v: unknown): v is AgentReport => isObject(v) && typeof v.kind === 'string';

/** The dispatch intent, or null before the dispatch began; damaged is RegistryCorruptError (the run is quarantined). */
export const readIntent = (records: RunRecords, taskId: string) =>
  records.read(EFFECTS.taskIntent(taskId), isIntent, 'dispatch intent (task_id, process, started_at, deadline, interrupted)');

/** The worker's outcome, or null before the dispatch ended; damaged is RegistryCorruptError. */
export const readOutcome = (records: RunRecords, taskId: string) => records.read(EFFECTS.taskOutcome(taskId), isRun, 'worker outcome');

/** What an agent's stream said of the dispatch, or null. */
export const readAgentReport = (records: RunRecords, taskId: string) => records.read(EFFECTS.taskAgent(taskId), isAgent, 'agent report (kind)');

/** A verification command's running marker ({ process, index, command }), or null. */
export const readRunningCommand = (records: RunRecords, epoch: number) =>
  records.read(EFFECTS.verificationRunning(epoch), isRunning, 'running verification command (process, index)');

/** An epoch's verification report, or null before it was run. */
export const readVerification = (records: RunRecords, epoch: number) =>
  records.read(EFFECTS.verification(epoch), isReport, 'verification report (verdict, commands)');

/** workspace.setup's running marker, or null. */
export const readRunningSetup = (records: RunRecords) => records.read(EFFECTS.setupRunning, isRunning, 'running setup command (process, index)');

/** workspace.setup's report, or null before it ran. */
export const readSetup = (records: RunRecords) => records.read(EFFECTS.setup, isSetup, 'setup report (commands)');

/** A handoff's record, or null before it was done. */
export const readHandoff = <T extends HandoffRecord | { kind: string; summary_path: string }>(records: RunRecords, kind: 'local' | 'git-branch' | 'github-pr') =>
  records.read(EFFECTS.handoff(kind), isHandoff, 'handoff record (kind, summary_path)') as Promise<T | null>;

/** What a task's completion said, as its outcome recorded it (null when it left none). */
export function completionOf(outcome: WorkerRun | null): CompletionRead | null {
  return outcome !== null && outcome.kind === 'exited' ? outcome.completion : null;
}
