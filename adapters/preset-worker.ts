import type { WorkerConfig } from '../schemas/config.ts';
import type { Finding, Plan, TaskRef } from '../machines/types.ts';
import { readIfExists, writeFileDurable, writeJsonDurable } from '../persistence/durable-file.ts';
import { boundCompletion, CompletionSchema } from '../schemas/completion.ts';
import { isPlainFile, readLogTail } from './worker-file.ts';

/** How much of an agent's stream is read to find its result: the end of the log, never all of it. */
const STREAM_TAIL_BYTES = 64 * 1024 * 1024;
import { completionFromStream, presetInvocation, type PresetName, type PresetUsage } from './agent-presets/index.ts';
import { gitIn, isGitWorkTree } from './git.ts';

/** What a preset agent's stream said beyond its completion: cost, turns, and why it failed. */
export interface AgentReport extends PresetUsage {
  error_kind: string | null;
}

/** The program and arguments a worker runs: its command, or its preset's documented invocation. */
export function workerInvocation(
  worker: WorkerConfig, task: TaskRef, plan: Plan, findings: Finding[], taskFile: string,
): { file: string; args: string[] } | null {
  if (worker.preset !== undefined) {
    return presetInvocation(worker.preset, worker, { ...task, plan, findings, taskFile });
  }
  const [file, ...args] = worker.command ?? [];
  return file === undefined ? null : { file, args };
}

/**
 * A preset agent does not write the completion file itself: its stream (in the task's log)
 * is read into one, written where a worker would have put it, so a resumed run ingests it
 * like any other. Nothing is written when the stream has no terminal event (the agent died
 * mid-way): that stays completion_missing. Idempotent: an existing completion file wins.
 */
export async function completeFromStream(
  preset: PresetName, paths: { log: string; completion: string; report: string }, task: TaskRef, workspace: string,
): Promise<AgentReport | null> {
  const recorded = await readIfExists(paths.report);
  // Checked without opening it: whatever the agent left at the completion path (a FIFO, say) is not waited on.
  if (recorded !== null && (await isPlainFile(paths.completion))) return JSON.parse(recorded) as AgentReport;
  // The stream's end is what decides; a log past STREAM_TAIL_BYTES (hundreds of MB) is not read whole.
  const output = (await readLogTail(paths.log, STREAM_TAIL_BYTES))?.text ?? '';
  const reading = completionFromStream(preset, output, { task_id: task.task_id, role: task.role }, await changedFiles(workspace), workspace);
  const report: AgentReport = { ...reading.usage, error_kind: reading.error_kind };
  // Bounded like any completion, and renamed into place: never written through a link the agent planted.
  if (reading.completion !== null) await writeFileDurable(paths.completion, JSON.stringify(bounded(reading.completion), null, 2), { syncDir: false });
  await writeJsonDurable(paths.report, report);
  return report;
}

// A completion made from the stream is cut like one a worker wrote (the agent's final text can be huge).
function bounded(completion: Record<string, unknown>): Record<string, unknown> {
  const parsed = CompletionSchema.safeParse(completion);
  return parsed.success ? boundCompletion(parsed.data) : completion;
}

async function changedFiles(workspace: string): Promise<string[]> {
  if (!(await isGitWorkTree(workspace))) return [];
  const status = await gitIn(process.env, workspace, ['status', '--porcelain', '--untracked-files=all', '-z']);
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
