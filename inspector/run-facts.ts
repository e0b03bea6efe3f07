// What the board and a run's page say about a run, read from the registry (never written): state,
// current worker, blocker, next safe action, cost, elapsed time. Redacted; cheap to read every second.
import { stat } from 'node:fs/promises';
import { TERMINAL_STATES } from '../machines/states.ts';
import { nextSafeAction, type NextSafeAction } from '../machines/next-safe-action.ts';
import type { Blocker } from '../machines/types.ts';
import { RegistryCorruptError } from '../persistence/errors.ts';
import { readJournal } from '../persistence/journal.ts';
import { runLayout, type RunLayout } from '../persistence/layout.ts';
import { isAlive } from '../persistence/process-identity.ts';
import { refuseIfQuarantined } from '../persistence/quarantine.ts';
import type { JournalEntry, RunMeta } from '../persistence/records.ts';
import { listRunIds, readRunMeta } from '../persistence/registry.ts';
import { readLockHolder } from '../persistence/run-lock.ts';
import { readSnapshot } from '../persistence/snapshot-store.ts';
import { redactDeep } from './live-feed.ts';

/** The worker task a run is waiting on. */
export interface CurrentWorker {
  task_id: string;
  role: string;
  attempt: number;
  epoch: number;
  /** When its process started (journal `worker.started`), if it has. */
  since: string | null;
}

/** One run as the board shows it. */
export interface RunFacts {
  run_id: string;
  /** Top-level state, or "quarantined". */
  state: string;
  /** The full state path ("fix_loop.awaiting") as the journal last recorded it. */
  path: string | null;
  terminal: boolean;
  /** A live process drives the run right now. */
  driven: boolean;
  task: { task_id: string; goal: string } | null;
  current: CurrentWorker | null;
  blocker: Blocker | null;
  blockers: Blocker[];
  next_safe_action: NextSafeAction;
  /** Reported by the run's agents so far; null when none reported a cost. */
  cost_usd: number | null;
  created_at: string | null;
  updated_at: string | null;
  /** From intake to the last update (finished) or to now (not finished). */
  elapsed_ms: number | null;
}

// Facts read from a run's journal, kept while the journal's size and mtime stay the same: the
// board reads every run each second, a journal that did not change is not read again.
interface JournalFacts {
  key: string;
  cost_usd: number | null;
  path: string | null;
  started: Map<string, string>;
}
const journalCache = new Map<string, JournalFacts>();
const metaCache = new Map<string, RunMeta>();

/** Every run in the registry, newest first; a run whose records fail validation is listed as quarantined. */
export async function boardRows(registry: string, secrets: readonly string[], now = Date.now()): Promise<RunFacts[]> {
  const rows = await Promise.all((await listRunIds(registry)).map((id) => runFacts(registry, id, secrets, now)));
  return rows.sort((a, b) => (b.created_at ?? '').localeCompare(a.created_at ?? '') || b.run_id.localeCompare(a.run_id));
}

/** One run's facts (the run must exist). */
export async function runFacts(registry: string, runId: string, secrets: readonly string[], now = Date.now()): Promise<RunFacts> {
  const layout = runLayout(registry, runId);
  try {
    await refuseIfQuarantined(layout);
    const meta = await cachedMeta(layout, runId);
    const envelope = await readSnapshot(layout.snapshot);
    const journal = await journalFacts(layout);
    const context = (envelope?.snapshot.context ?? {}) as { blocker?: Blocker | null; blockers?: Blocker[]; current?: Omit<CurrentWorker, 'since'> | null; cost_usd?: unknown };
    const state = envelope?.state ?? 'packet_received';
    const terminal = TERMINAL_STATES.has(state);
    const blocker = context.blocker ?? null;
    const current = !terminal && context.current ? { ...pickTask(context.current), since: journal.started.get(context.current.task_id) ?? null } : null;
    const updated = envelope?.updated_at ?? meta.created_at;
    const facts: RunFacts = {
      run_id: runId, state, path: journal.path ?? state, terminal, driven: terminal ? false : await isDriven(layout),
      task: { task_id: meta.input.plan.task_id, goal: meta.input.plan.goal ?? '' },
      current, blocker, blockers: context.blockers ?? (blocker ? [blocker] : []),
      next_safe_action: nextSafeAction(runId, state, blocker, terminal),
      // The run machine's running total when it keeps one, else what the journal's worker entries reported.
      cost_usd: typeof context.cost_usd === 'number' ? context.cost_usd : journal.cost_usd,
      created_at: meta.created_at, updated_at: updated,
      elapsed_ms: Math.max(0, (terminal ? Date.parse(updated) : now) - Date.parse(meta.created_at)),
    };
    return redactDeep(facts, secrets);
  } catch (error) {
    if (!(error instanceof RegistryCorruptError)) throw error;
    const blocker: Blocker = { code: 'registry_corrupt', message: redactDeep(error.message, secrets) };
    return {
      run_id: runId, state: 'quarantined', path: null, terminal: true, driven: false, task: null, current: null, blocker, blockers: [blocker],
      next_safe_action: nextSafeAction(runId, 'quarantined', blocker, true), cost_usd: null, created_at: null, updated_at: null, elapsed_ms: null,
    };
  }
}

/** Total cost the journal's `worker.finished` entries report (preset agents), or null when none did. */
export function journalCost(entries: readonly JournalEntry[]): number | null {
  let total: number | null = null;
  for (const e of entries) {
    if (e.type === 'worker.finished' && typeof e.cost_usd === 'number') total = (total ?? 0) + e.cost_usd;
  }
  return total === null ? null : Math.round(total * 1e6) / 1e6;
}

const pickTask = (t: Omit<CurrentWorker, 'since'>) => ({ task_id: t.task_id, role: t.role, attempt: t.attempt, epoch: t.epoch });

async function cachedMeta(layout: RunLayout, runId: string): Promise<RunMeta> {
  const known = metaCache.get(layout.meta);
  if (known) return known;
  const meta = await readRunMeta(layout);
  if (meta.run_id !== runId) throw new RegistryCorruptError(layout.meta, `names run ${meta.run_id}`);
  metaCache.set(layout.meta, meta);
  return meta;
}

async function journalFacts(layout: RunLayout): Promise<JournalFacts> {
  const info = await stat(layout.journal).catch(() => null);
  const key = info ? `${info.size}:${info.mtimeMs}` : 'none';
  const known = journalCache.get(layout.journal);
  if (known?.key === key) return known;
  const entries = await readJournal(layout.journal, { whileWritten: true });
  const started = new Map<string, string>();
  let path: string | null = null;
  for (const e of entries) {
    if (e.type === 'worker.started' && typeof e.task_id === 'string') started.set(e.task_id, e.at);
    if ((e.type === 'run.created' || e.type === 'run.transition') && typeof e.to === 'string') path = e.to;
  }
  const facts = { key, cost_usd: journalCost(entries), path, started };
  journalCache.set(layout.journal, facts);
  return facts;
}

async function isDriven(layout: RunLayout): Promise<boolean> {
  const holder = await readLockHolder(layout.lock);
  return holder !== null && holder.pid > 0 && isAlive(holder);
}
