import { readJournal } from '../../persistence/journal.ts';
import { taskHistory } from '../../persistence/task-history.ts';
import { findRun, listRunIds, readRunMeta } from '../../persistence/registry.ts';
import { initialContext } from '../../machines/run-rules.ts';
import { SCHEMA_VERSION, type RunMeta, type SnapshotEnvelope } from '../../persistence/records.ts';
import { runLayout, type RunLayout } from '../../persistence/layout.ts';
import { stat } from 'node:fs/promises';
import { leasesHeldBy } from '../../persistence/lease.ts';
import { join } from 'node:path';
import { readSnapshot } from '../../persistence/snapshot-store.ts';
import type { Output } from '../output.ts';
import { formatStatus, quarantinedView, statusView, type StatusExtras, type StatusView } from '../status-view.ts';
import { checkRunRecords, refuseIfQuarantined } from '../../persistence/quarantine.ts';
import { RegistryCorruptError } from '../../persistence/errors.ts';
import { actionFactsOf } from '../action-facts.ts';

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
    view = statusView(stored ?? notYetDriven(meta), taskHistory(entries), await statusExtras(registry, meta, stored, layout), await actionFactsOf(meta, layout, registry, process.cwd()));
    view.retry_of = meta.retry_of;
  } catch (error) {
    if (!(error instanceof RegistryCorruptError)) throw error;
    view = quarantinedView(runId, error);
  }
  output.out(json ? JSON.stringify(view) : formatStatus(view));
  return view.state === 'quarantined' ? 5 : 0;
}

/** `buran list`: one line per run; a corrupt run is listed as such and does not stop the listing. */
export async function listCommand(registry: string, json: boolean, output: Output): Promise<number> {
  for (const runId of await listRunIds(registry)) {
    let row: { run_id: string; state: string; updated_at: string | null; blocker: string | null };
    try {
      const layout = runLayout(registry, runId);
      await refuseIfQuarantined(layout);
      const envelope = await readSnapshot(layout.snapshot);
      const context = envelope?.snapshot.context as { blocker?: { code: string } | null } | undefined;
      row = { run_id: runId, state: envelope?.state ?? 'packet_received', updated_at: envelope?.updated_at ?? null, blocker: context?.blocker?.code ?? null };
    } catch (error) {
      if (!(error instanceof RegistryCorruptError)) throw error;
      row = { run_id: runId, state: 'quarantined', updated_at: null, blocker: 'registry_corrupt' };
    }
    output.out(json ? JSON.stringify(row) : `${row.run_id}  ${row.state}  ${row.updated_at ?? '-'}  ${row.blocker ?? '-'}`);
  }
  return 0;
}

/** `buran events ID`: the journal, oldest first. */
export async function eventsCommand(runId: string, registry: string, json: boolean, output: Output): Promise<number> {
  const layout = await findRun(registry, runId);
  for (const entry of await readJournal(layout.journal)) {
    if (json) {
      output.out(JSON.stringify(entry));
      continue;
    }
    const { seq, at, type, ...rest } = entry;
    const detail = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
    output.out(`${String(seq).padStart(4)}  ${at}  ${type}  ${detail}`);
  }
  return 0;
}

async function statusExtras(registry: string, meta: RunMeta, stored: SnapshotEnvelope | null, layout: RunLayout): Promise<StatusExtras> {
  const current = (stored?.snapshot.context as { current?: { task_id: string } | null } | undefined)?.current;
  let lastOutputAt: string | null = null;
  if (current) {
    try { lastOutputAt = (await stat(join(layout.taskDir(current.task_id), 'output.log'))).mtime.toISOString(); } catch { /* no output yet */ }
  }
  const leases = (await leasesHeldBy(registry, meta.run_id)).map(({ resource, mode, expires_at }) => ({ resource, mode, expires_at }));
  const branch = meta.repo === null ? null : meta.input.plan.intended_branch || `buran/${meta.run_id}`;
  return { workspace: { path: meta.workspace, repo: meta.repo, branch }, leases, lastOutputAt };
}

// A run recorded at intake whose driver died before its first transition was persisted.
function notYetDriven(meta: RunMeta): SnapshotEnvelope {
  return {
    schema_version: SCHEMA_VERSION, run_id: meta.run_id, seq: 0, state: 'packet_received', updated_at: meta.created_at,
    snapshot: { status: 'active', value: 'packet_received', context: initialContext(meta.input) as never },
  };
}
