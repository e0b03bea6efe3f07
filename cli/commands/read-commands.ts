import type { Registry } from '../../persistence/port.ts';
import { hostFiles, withRegistry } from '../registry-access.ts';
import { initialContext } from '../../machines/run-rules.ts';
import { SCHEMA_VERSION } from '../../persistence/schema-version.ts';
import type { RunMeta, SnapshotEnvelope } from '../../persistence/records.ts';
import type { RunLayout } from '../../persistence/layout.ts';
import { existsSync, readdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Output } from '../output.ts';
import { formatStatus, quarantinedView, statusView, type RunLog, type StatusExtras, type StatusView } from '../status-view.ts';
import type { TaskRecord } from '../../machines/types.ts';
import { refuseQuarantinedRun } from '../../persistence/quarantine.ts';
import { RegistryCorruptError, SharedRecordCorruptError } from '../../persistence/errors.ts';
import { actionFactsOf, registryFlag } from '../action-facts.ts';
import { describeEntry } from '../journal-words.ts';
import { TERMINAL_STATES } from '../../machines/states.ts';
import { mayHoldSecrets, redactDeep, secretValues } from '../../adapters/redact.ts';
import type { JournalEntryOf } from '../../persistence/journal-entries.ts';
import type { JournalFold } from '../../persistence/journal-fold.ts';

/**
 * `buran status ID`: read-only; a run whose records fail validation is reported quarantined (exit 5).
 * A missing snapshot (a cache the journal can rebuild) is no reason to report the run at its start:
 * the state comes from the journal, and the report says so. A damaged lease table is reported
 * beside the run (exit 5); the run itself is not corrupt.
 */
export async function statusCommand(runId: string, location: string, json: boolean, output: Output): Promise<number> {
  return withRegistry(location, (registry) => status(registry, runId, json, output));
}

async function status(registry: Registry, runId: string, json: boolean, output: Output): Promise<number> {
  await registry.assertRun(runId);
  let view: StatusView;
  try {
    await refuseQuarantinedRun(registry, runId);
    // The snapshot, the journal's fold (only its whole entries: a live run's journal grows as it is
    // read) and the intake record, checked against each other.
    const { snapshot: stored, fold: journal, meta, keep } = await registry.readForStatus(runId);
    const tasks = journal.tasks();
    const placed = runnerPlaced(meta, journal);
    const extras = await statusExtras(registry, placed.meta, stored, tasks, placed.host);
    const journalState = stored === null ? journal.lastState : null;
    view = journalState === null
      ? statusView(stored ?? notYetDriven(meta), tasks, extras, await actionFactsOf(meta, registry, process.cwd()))
      : snapshotMissingView(meta, journal, journalState, extras, registryFlag(registry.location, process.cwd()));
    view.retry_of = meta.retry_of;
    if (extras.problem) view = { ...view, problems: [...(view.problems ?? []), extras.problem] };
    keep();
  } catch (error) {
    if (!(error instanceof RegistryCorruptError)) throw error;
    view = quarantinedView(runId, error);
  }
  // Redacted again with this process's secrets, as the inspector does: records written before a
  // secret was known (or by an older version) are not printed as they are. A report with nothing
  // to redact (most) is not rebuilt.
  const secrets = secretValues(process.env);
  if (mayHoldSecrets(view, secrets)) view = redactDeep(view, secrets);
  output.out(json ? JSON.stringify(view) : formatStatus(view));
  return view.state === 'quarantined' || view.problems?.some((p) => p.startsWith(LEASE_PROBLEM)) ? 5 : 0;
}

/** `buran events ID`: the journal, oldest first, in words (`--json`: the entries as recorded, JSON Lines). */
export async function eventsCommand(runId: string, location: string, json: boolean, output: Output): Promise<number> {
  const entries = await withRegistry(location, (registry) => registry.readJournal(runId).then((all) => redactDeep(all, secretValues(process.env))));
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

const LEASE_PROBLEM = 'the lease table is damaged';

/**
 * A submitted run's workspace is where its runner host put it, as the journal says: the last
 * worktree made, on the last host that claimed the run (a path of that host's disk).
 */
function runnerPlaced(meta: RunMeta, journal: JournalFold): { meta: RunMeta; host?: string } {
  if (meta.runner !== true) return { meta };
  const ready = journal.lastReady as JournalEntryOf<'workspace.ready'> | null;
  const claimed = journal.lastClaimed as JournalEntryOf<'fleet.claimed'> | null;
  if (ready === null) return { meta };
  return { meta: { ...meta, workspace: ready.path }, ...(claimed ? { host: claimed.host } : {}) };
}

async function statusExtras(
  registry: Registry, meta: RunMeta, stored: SnapshotEnvelope | null, tasks: TaskRecord[], host?: string,
): Promise<StatusExtras & { problem?: string }> {
  const layout = hostFiles(registry, meta.run_id);
  const current = (stored?.snapshot.context as { current?: { task_id: string } | null } | undefined)?.current;
  let lastOutputAt: string | null = null;
  if (current) {
    try { lastOutputAt = (await stat(join(layout.taskDir(current.task_id), 'output.log'))).mtime.toISOString(); } catch { /* no output yet */ }
  }
  let leases: StatusExtras['leases'] = [];
  let problem: string | undefined;
  try {
    leases = (await registry.leasesHeldBy(meta.run_id)).map(({ resource, mode, expires_at }) => ({ resource, mode, expires_at }));
  } catch (error) {
    if (!(error instanceof SharedRecordCorruptError)) throw error;
    problem = `${LEASE_PROBLEM} (${error.message}), so this run's leases are unknown. ${error.fix}`;
  }
  const branch = meta.repo === null ? null : meta.input.plan.intended_branch || `buran/${meta.run_id}`;
  return {
    workspace: { path: meta.workspace, repo: meta.repo, branch, present: existsSync(meta.workspace), ...(host ? { host } : {}) }, leases, lastOutputAt,
    logs: runLogs(layout, tasks), ...(problem ? { problem } : {}),
  };
}

/**
 * The run's logs as they are on disk: setup commands, then each task's output, each epoch's
 * verification after the work it judged. Read with sync calls (a long run has hundreds of small
 * folders: the promise API's round trips cost more than the reads); the folders of tasks and
 * epochs are listed once, so a task or epoch without one costs no further call.
 */
function runLogs(layout: RunLayout, tasks: TaskRecord[]): RunLog[] {
  const list = (dir: string) => { try { return readdirSync(dir); } catch { return []; } };
  const commandLogs = (dir: string) =>
    list(dir)
      .map((name) => /^command-(\d+)\.log$/.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ index: Number(m[1]), path: join(dir, m[0]) }))
      .sort((a, b) => a.index - b.index);
  const logs: RunLog[] = commandLogs(layout.setupDir).map((l) => ({ kind: 'setup', ...l }));
  const taskDirs = new Set(list(dirname(layout.taskDir('t'))));
  const epochDirs = new Set(list(dirname(layout.epochDir(0))));
  // A task id that is a plain folder name has its output only in a folder of that name; any other is looked up as it is.
  const mayHaveFolder = (name: string, folders: Set<string>) => !isPlainName(name) || folders.has(name);
  // An epoch's verification judges the last implementer or fixer task of that epoch.
  const judged = new Map<number, string>();
  for (const task of tasks) if (task.role !== 'reviewer') judged.set(task.epoch, task.task_id);
  for (const task of tasks) {
    if (mayHaveFolder(task.task_id, taskDirs)) {
      const path = join(layout.taskDir(task.task_id), 'output.log');
      if (existsSync(path)) logs.push({ kind: 'task', task_id: task.task_id, path });
    }
    if (judged.get(task.epoch) !== task.task_id || !mayHaveFolder(String(task.epoch), epochDirs)) continue;
    for (const l of commandLogs(layout.epochDir(task.epoch))) logs.push({ kind: 'verification', epoch: task.epoch, ...l });
  }
  return logs;
}

const isPlainName = (name: string) => /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name) && name !== '.' && name !== '..';

// The snapshot is gone but the journal says how far the run got: that is reported, with what is not known.
function snapshotMissingView(meta: RunMeta, journal: JournalFold, path: string, extras: StatusExtras, flag: string): StatusView {
  const state = path.split('.')[0]!;
  const base = notYetDriven(meta);
  const envelope: SnapshotEnvelope = {
    ...base, state, seq: journal.seq, updated_at: journal.at!,
    snapshot: { ...base.snapshot, value: path, context: { ...(base.snapshot.context as object), epoch: journal.epochs } as never },
  };
  const view = statusView(envelope, journal.tasks(), extras);
  return {
    ...view,
    current_task: null,
    budgets: [],
    next_safe_action: {
      kind: 'resume', command: `buran resume ${meta.run_id}${flag}`,
      reason: `the run's snapshot is missing; its journal shows it in ${path}; resume rebuilds the snapshot from the journal${TERMINAL_STATES.has(state) ? ' (the run ended there: nothing is run again)' : ' and continues'}`,
    },
    problems: [`snapshot.json is missing: state, epoch and tasks come from the journal; blockers and budgets are known once "buran resume ${meta.run_id}${flag}" has rebuilt it`],
  };
}

// A run recorded at intake whose driver died before its first transition was persisted.
function notYetDriven(meta: RunMeta): SnapshotEnvelope {
  return {
    schema_version: SCHEMA_VERSION, run_id: meta.run_id, seq: 0, state: 'packet_received', updated_at: meta.created_at,
    snapshot: { status: 'active', value: 'packet_received', context: initialContext(meta.input) as never },
  };
}
