import { readJournal } from '../../persistence/journal.ts';
import { taskHistory } from '../../persistence/task-history.ts';
import { findRun, readRunMeta } from '../../persistence/registry.ts';
import { initialContext } from '../../machines/run-rules.ts';
import { SCHEMA_VERSION, type RunMeta, type SnapshotEnvelope } from '../../persistence/records.ts';
import type { RunLayout } from '../../persistence/layout.ts';
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { leasesHeldBy } from '../../persistence/lease.ts';
import { join } from 'node:path';
import { readSnapshot } from '../../persistence/snapshot-store.ts';
import type { Output } from '../output.ts';
import { formatStatus, quarantinedView, statusView, type RunLog, type StatusExtras, type StatusView } from '../status-view.ts';
import type { TaskRecord } from '../../machines/types.ts';
import { checkRunRecords, refuseIfQuarantined } from '../../persistence/quarantine.ts';
import { RegistryCorruptError } from '../../persistence/errors.ts';
import { actionFactsOf } from '../action-facts.ts';
import { describeEntry } from '../journal-words.ts';

/** `buran status ID`: read-only; a run whose records fail validation is reported quarantined (exit 5). */
export async function statusCommand(runId: string, registry: string, json: boolean, output: Output): Promise<number> {
  const layout = await findRun(registry, runId);
  let view: StatusView;
  try {
    await refuseIfQuarantined(layout);
    const stored = await readSnapshot(layout.snapshot);
    const entries = await readJournal(layout.journal);
    checkRunRecords(layout, runId, stored, entries);
    const meta = await readRunMeta(layout);
    const tasks = taskHistory(entries);
    view = statusView(stored ?? notYetDriven(meta), tasks, await statusExtras(registry, meta, stored, layout, tasks), await actionFactsOf(meta, layout, registry, process.cwd()));
    view.retry_of = meta.retry_of;
  } catch (error) {
    if (!(error instanceof RegistryCorruptError)) throw error;
    view = quarantinedView(runId, error);
  }
  output.out(json ? JSON.stringify(view) : formatStatus(view));
  return view.state === 'quarantined' ? 5 : 0;
}

/** `buran events ID`: the journal, oldest first, in words (`--json`: the entries as recorded, JSON Lines). */
export async function eventsCommand(runId: string, registry: string, json: boolean, output: Output): Promise<number> {
  const layout = await findRun(registry, runId);
  const entries = await readJournal(layout.journal);
  if (json) {
    for (const entry of entries) output.out(JSON.stringify(entry));
    return 0;
  }
  if (entries.length === 0) {
    output.out(`run ${runId} has no journal entries yet`);
    return 0;
  }
  let day = '';
  for (const entry of entries) {
    // Times are UTC, as recorded; the day is said once, and again when it changes.
    const [date = '', time = ''] = entry.at.split('T');
    if (date !== day) {
      output.out(`${day === '' ? `run ${runId}, times in UTC: ` : ''}${date}`);
      day = date;
    }
    output.out(`${String(entry.seq).padStart(4)}  ${time.slice(0, 12)}  ${describeEntry(entry)}`);
  }
  return 0;
}

async function statusExtras(registry: string, meta: RunMeta, stored: SnapshotEnvelope | null, layout: RunLayout, tasks: TaskRecord[]): Promise<StatusExtras> {
  const current = (stored?.snapshot.context as { current?: { task_id: string } | null } | undefined)?.current;
  let lastOutputAt: string | null = null;
  if (current) {
    try { lastOutputAt = (await stat(join(layout.taskDir(current.task_id), 'output.log'))).mtime.toISOString(); } catch { /* no output yet */ }
  }
  const leases = (await leasesHeldBy(registry, meta.run_id)).map(({ resource, mode, expires_at }) => ({ resource, mode, expires_at }));
  const branch = meta.repo === null ? null : meta.input.plan.intended_branch || `buran/${meta.run_id}`;
  return { workspace: { path: meta.workspace, repo: meta.repo, branch, present: existsSync(meta.workspace) }, leases, lastOutputAt, logs: await runLogs(layout, tasks) };
}

/** The run's logs as they are on disk: setup commands, then each task's output, each epoch's verification after the work it judged. */
async function runLogs(layout: RunLayout, tasks: TaskRecord[]): Promise<RunLog[]> {
  const commandLogs = async (dir: string) =>
    (await readdir(dir).catch(() => [] as string[]))
      .map((name) => /^command-(\d+)\.log$/.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ index: Number(m[1]), path: join(dir, m[0]) }))
      .sort((a, b) => a.index - b.index);
  const logs: RunLog[] = (await commandLogs(layout.setupDir)).map((l) => ({ kind: 'setup', ...l }));
  // An epoch's verification judges the last implementer or fixer task of that epoch.
  const judged = new Map<number, string>();
  for (const task of tasks) if (task.role !== 'reviewer') judged.set(task.epoch, task.task_id);
  for (const task of tasks) {
    const path = join(layout.taskDir(task.task_id), 'output.log');
    if (existsSync(path)) logs.push({ kind: 'task', task_id: task.task_id, path });
    if (judged.get(task.epoch) !== task.task_id) continue;
    for (const l of await commandLogs(layout.epochDir(task.epoch))) logs.push({ kind: 'verification', epoch: task.epoch, ...l });
  }
  return logs;
}

// A run recorded at intake whose driver died before its first transition was persisted.
function notYetDriven(meta: RunMeta): SnapshotEnvelope {
  return {
    schema_version: SCHEMA_VERSION, run_id: meta.run_id, seq: 0, state: 'packet_received', updated_at: meta.created_at,
    snapshot: { status: 'active', value: 'packet_received', context: initialContext(meta.input) as never },
  };
}
