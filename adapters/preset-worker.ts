import type { WorkerConfig } from '../schemas/config.ts';
import type { AgentFacts, AgentOutcomeKind } from '../machines/agent-facts.ts';
import type { Finding, Plan, TaskRef } from '../machines/types.ts';
import { writeFileDurable } from '../persistence/durable-file.ts';
import { boundCompletion, CompletionSchema } from '../schemas/completion.ts';
import { isPlainFile, readLogTail } from './worker-file.ts';
import { completionFromStream, isTerminalEvent, presetInvocation, type PresetName, type PresetUsage } from './agent-presets/index.ts';
import { isGitWorkTree } from './git.ts';
import { hardenedGitIn } from './git-hardening.ts';
import { TerminalWatch } from './terminal-watch.ts';

/** What a preset agent's stream said beyond its completion (the effect record tasks/<id>/agent). */
export interface AgentReport extends PresetUsage {
  error_kind: string | null;
  /** Absent in reports written before outcome kinds existed. */
  kind?: AgentOutcomeKind;
  message?: string;
  reset_at?: number | null;
  session_id?: string | null;
  resumed_session?: string | null;
  observed_at?: number;
}

/** Where a dispatch's agent report is recorded (the run's effect record `tasks/<id>/agent`). */
export interface AgentRecord {
  read(): Promise<AgentReport | null>;
  write(report: AgentReport): Promise<void>;
}

/** What this dispatch of a worker is asked to carry on from, and may spend. */
export interface DispatchExtras {
  resume_session: string | null;
  budget_usd: number | null;
}

/** The session a preset worker continues: the one offered, unless its config says `continue_session: false`. */
export function sessionToContinue(worker: WorkerConfig, offered: string | null | undefined): string | null {
  return worker.preset !== undefined && worker.continue_session !== false ? (offered ?? null) : null;
}

/** The program and arguments a worker runs: its command, or its preset's documented invocation. */
export function workerInvocation(
  worker: WorkerConfig, task: TaskRef, plan: Plan, findings: Finding[], taskFile: string, extras: DispatchExtras = { resume_session: null, budget_usd: null },
): { file: string; args: string[] } | null {
  if (worker.preset !== undefined) {
    return presetInvocation(worker.preset, worker, { ...task, plan, findings, taskFile, ...extras });
  }
  const [file, ...args] = worker.command ?? [];
  return file === undefined ? null : { file, args };
}

/** Watches a preset agent's log for its terminal event (done means done). */
export function agentDoneWatch(preset: PresetName, logFile: string): TerminalWatch {
  return new TerminalWatch(logFile, (line) => isTerminalEvent(preset, line));
}

/**
 * A preset agent does not write the completion file itself: its stream (in the task's log)
 * is read into one, written where a worker would have put it, so a resumed run ingests it
 * like any other. Nothing is written when the stream has no terminal event (the agent died
 * mid-way): that stays completion_missing. Idempotent: an existing report and completion win.
 */
export async function completeFromStream(
  preset: PresetName, paths: { log: string; completion: string }, report: AgentRecord, task: TaskRef, workspace: string,
  resumed: string | null = null, now = Date.now(),
): Promise<AgentReport | null> {
  const recorded = await report.read();
  // Checked without opening it: whatever the agent left at the completion path (a FIFO, say) is not waited on.
  if (recorded !== null && ((await isPlainFile(paths.completion)) || recorded.kind !== undefined)) return recorded;
  // The stream's end is what decides; a log past STREAM_TAIL_BYTES (hundreds of MB) is not read whole.
  const output = (await readLogTail(paths.log, STREAM_TAIL_BYTES))?.text ?? '';
  const reading = completionFromStream(preset, output, { task_id: task.task_id, role: task.role }, await changedFiles(workspace), workspace, now);
  const read: AgentReport = {
    ...reading.usage, error_kind: reading.error_kind, kind: reading.outcome.kind, message: reading.outcome.message.slice(0, 500),
    reset_at: reading.outcome.reset_at, session_id: reading.outcome.session_id, resumed_session: resumed, observed_at: now,
  };
  // Bounded like any completion, and renamed into place: never written through a link the agent planted.
  if (reading.completion !== null) await writeFileDurable(paths.completion, JSON.stringify(bounded(reading.completion), null, 2), { syncDir: false });
  await report.write(read);
  return read;
}

/** The machine's view of a report (reports from before outcome kinds read as success / failed). */
export function agentFacts(report: AgentReport): AgentFacts {
  return {
    kind: report.kind ?? (report.error_kind === null ? 'success' : 'failed'),
    message: report.message ?? report.error_kind ?? '',
    reset_at: report.reset_at ?? null,
    observed_at: report.observed_at ?? 0,
    cost_usd: report.cost_usd,
    turns: report.turns,
    session_id: report.session_id ?? null,
    resumed_session: report.resumed_session ?? null,
  };
}

async function changedFiles(workspace: string): Promise<string[]> {
  if (!(await isGitWorkTree(workspace))) return [];
  const status = await hardenedGitIn(process.env, workspace, ['status', '--porcelain', '--untracked-files=all', '-z']);
  if (!status.ok) return [];
  const files: string[] = [];
  const fields = status.stdout.split('\0').filter(Boolean);
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    files.push(field.slice(3));
    if (field[0] === 'R' || field[0] === 'C') i++; // the rename's source path follows
  }
  return files;
}

/** How much of an agent's stream is read to find its result: the end of the log, never all of it. */
const STREAM_TAIL_BYTES = 64 * 1024 * 1024;

// A completion made from the stream is cut like one a worker wrote (the agent's final text can be huge).
function bounded(completion: Record<string, unknown>): Record<string, unknown> {
  const parsed = CompletionSchema.safeParse(completion);
  return parsed.success ? boundCompletion(parsed.data) : completion;
}
