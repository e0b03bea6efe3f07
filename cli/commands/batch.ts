import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { runBatch, type BatchItem } from '../../actors/batch-runner.ts';
import { runClaims } from '../../actors/leases.ts';
import type { BatchRecord } from '../../persistence/batch-store.ts';
import { isValidRunId } from '../../persistence/layout.ts';
import type { Registry } from '../../persistence/port.ts';
import { SCHEMA_VERSION, type RunMeta } from '../../persistence/records.ts';
import { batchExists, runExists, withRegistry } from '../registry-access.ts';
import { BatchView } from '../batch-view.ts';
import { UsageError } from '../errors.ts';
import { acceptPacket, loadIntakeBase, runMetaFor, type IntakeBase, type IntakeOptions } from '../intake.ts';
import type { Output } from '../output.ts';
import { readDocument } from '../read-document.ts';
import { packetsOf } from '../packet-list.ts';
import { intakeSecrets, recordablePacket } from '../secret-check.ts';
import { isBlocked } from '../../machines/states.ts';

/** `buran batch` flags. */
export interface BatchFlags extends Omit<IntakeOptions, 'packetPath' | 'runId'> {
  list?: string;
  resume?: string;
  batchId?: string;
  concurrency?: number;
  /** --max-cost-usd: no new run starts once the batch's runs have reported this cost. */
  maxCostUsd?: number;
  json: boolean;
}

/**
 * `buran batch LIST` / `buran batch --resume ID`: every packet is validated and every run
 * recorded before the first one starts (exit 2 with nothing written on bad input); then at
 * most N runs are driven at once in this process. Prints the batch id first.
 */
export async function batchCommand(flags: BatchFlags, output: Output): Promise<number> {
  return withRegistry(flags.registry, (registry) => batch(registry, flags, output));
}

async function batch(registry: Registry, flags: BatchFlags, output: Output): Promise<number> {
  const { record, metas } = flags.resume !== undefined ? await reopen(registry, flags) : await create(registry, flags, output.err);
  if (!flags.json) output.out(record.batch_id);
  const earlier = await registry.readBatchProgress(record.batch_id);
  const finished = new Set(earlier.map((p) => p.run_id));
  const spentBefore = earlier.reduce((sum, p) => sum + (typeof p.cost_usd === 'number' ? p.cost_usd : 0), 0);
  const items: BatchItem[] = metas.filter((m) => !finished.has(m.run_id)).map((meta) => ({ run_id: meta.run_id, claims: runClaims(meta) }));

  const interrupt = new AbortController();
  const onSignal = () => interrupt.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const view = new BatchView(output, metas.length, output.isTTY && !flags.json, flags.json);
  const concurrency = flags.concurrency ?? record.concurrency;
  try {
    const outcome = await runBatch({
      registry, batchId: record.batch_id, items, concurrency, interrupt: interrupt.signal,
      killGraceMs: Number(process.env.BURAN_KILL_GRACE_MS ?? 2000), onEvent: view.onEvent, maxCostUsd: flags.maxCostUsd, spentBefore,
    });
    view.finish();
    const progress = new Map((await registry.readBatchProgress(record.batch_id)).map((p) => [p.run_id, p]));
    const rows = metas.map((m) => {
      const now = outcome.states.get(m.run_id) ?? progress.get(m.run_id);
      return { run_id: m.run_id, task_id: m.input.plan.task_id, state: now?.state ?? 'queued', blocker: now?.blocker ?? null, cost_usd: now?.cost_usd ?? 0 };
    });
    const budget = flags.maxCostUsd !== undefined && outcome.spent >= flags.maxCostUsd - 1e-9 && rows.some((r) => r.state === 'queued')
      ? { spent: outcome.spent, max: flags.maxCostUsd } : null;
    report(record.batch_id, rows, outcome.exitCode, flags.json, output, budget);
    return outcome.exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

type Row = { run_id: string; task_id: string; state: string; blocker: string | null; cost_usd: number };

function report(batchId: string, rows: Row[], exitCode: number, json: boolean, output: Output, budget: { spent: number; max: number } | null): void {
  const cost = Math.round(rows.reduce((sum, r) => sum + r.cost_usd, 0) * 1e6) / 1e6;
  const count = (pred: (r: Row) => boolean) => rows.filter(pred).length;
  const totals = {
    runs: rows.length, ready: count((r) => r.state === 'ready_for_manual_review'), blocked: count((r) => isBlocked(r.state)),
    failed: count((r) => r.state === 'failed_execution'), unfinished: count((r) => !['ready_for_manual_review', 'failed_execution'].includes(r.state) && !isBlocked(r.state)),
  };
  if (json) {
    output.out(JSON.stringify({ batch_id: batchId, exit_code: exitCode, totals: { ...totals, cost_usd: cost }, runs: rows, budget_spent: budget }));
    return;
  }
  const width = Math.max(6, ...rows.map((r) => r.run_id.length));
  output.out(`${'run'.padEnd(width)}  ${'state'.padEnd(25)}  ${'cost'.padStart(9)}  blocker`);
  for (const r of rows) output.out(`${r.run_id.padEnd(width)}  ${r.state.padEnd(25)}  ${`$${r.cost_usd.toFixed(4)}`.padStart(9)}  ${r.blocker ?? '-'}`);
  output.out(`${totals.runs} run(s): ${totals.ready} ready, ${totals.blocked} blocked, ${totals.failed} failed, ${totals.unfinished} unfinished; cost $${cost.toFixed(4)}`);
  if (budget) output.out(`batch budget spent: $${budget.spent.toFixed(4)} of --max-cost-usd ${budget.max}: no new run was started`);
  if (totals.unfinished > 0) output.out(`next: buran batch --resume ${batchId}`);
}

async function create(registry: Registry, flags: BatchFlags, warn: (line: string) => void): Promise<{ record: BatchRecord; metas: RunMeta[] }> {
  if (flags.list === undefined) throw new UsageError('batch needs a packet list file (or --resume BATCH_ID)');
  checkConcurrency(flags.concurrency);
  const listPath = resolve(flags.cwd, flags.list);
  const doc = await readDocument(listPath, 'packet list');
  const packets = packetsOf(doc, listPath, { listOnly: true });
  packets.forEach((packet, i) => acceptPacket(packet, `${listPath}#packets[${i}]`, warn));
  const base = await loadIntakeBase(flags);
  const batchId = flags.batchId ?? newBatchId();
  if (!isValidRunId(batchId)) throw new UsageError(`--batch-id ${JSON.stringify(batchId)}: use letters, digits, ".", "-" or "_", starting with a letter or digit`);
  if (await batchExists(registry, batchId)) throw new UsageError(`batch ${batchId} already exists: use --resume ${batchId}`);
  const metas = packets.map((packet, i) => metaAt(base, batchId, packet, listPath, i));
  for (const meta of metas) {
    if (await runExists(registry, meta.run_id)) throw new UsageError(`run ${meta.run_id} already exists in the registry: pick another --batch-id`);
  }
  const record: BatchRecord = {
    schema_version: SCHEMA_VERSION, batch_id: batchId, created_at: new Date().toISOString(), source: listPath,
    concurrency: flags.concurrency ?? 3, config: base.config, config_source: base.source, repo: base.repo, workspace: base.workspace,
    runs: metas.map((m) => ({ run_id: m.run_id, task_id: m.input.plan.task_id })),
  };
  // The batch is recorded before its runs: a crash in between leaves runs a resume creates.
  const recordable = packets.map((packet) => recordablePacket(packet, base.secrets));
  await registry.createBatch(record, recordable);
  for (let i = 0; i < metas.length; i++) await registry.createRun(metas[i]!, recordable[i]!);
  return { record, metas };
}

async function reopen(registry: Registry, flags: BatchFlags): Promise<{ record: BatchRecord; metas: RunMeta[] }> {
  if (flags.list !== undefined) throw new UsageError('give a packet list or --resume BATCH_ID, not both');
  checkConcurrency(flags.concurrency);
  const { record, packets } = await registry.readBatch(flags.resume!);
  const base: IntakeBase = {
    config: record.config, source: record.config_source, workRoot: registry.workRoot, repo: record.repo, workspace: record.workspace,
    secrets: intakeSecrets(record.config),
  };
  const metas: RunMeta[] = [];
  for (let i = 0; i < record.runs.length; i++) {
    const packet = packets[i]!;
    const meta = runMetaFor(base, packet, `${record.source}#packets[${i}]`, record.runs[i]!.run_id);
    if (!(await runExists(registry, meta.run_id))) await registry.createRun(meta, packet);
    metas.push(meta);
  }
  return { record, metas };
}

function metaAt(base: IntakeBase, batchId: string, packet: Record<string, unknown>, listPath: string, index: number): RunMeta {
  const task = typeof packet.task_id === 'string' ? packet.task_id : 'run';
  const slug = task.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 30) || 'run';
  return runMetaFor(base, packet, `${listPath}#packets[${index}]`, `${batchId}-${String(index + 1).padStart(4, '0')}-${slug}`.slice(0, 100));
}

function checkConcurrency(n: number | undefined): void {
  if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > 256)) throw new UsageError('--concurrency needs a whole number from 1 to 256');
}

function newBatchId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `batch-${stamp}-${randomBytes(2).toString('hex')}`;
}
