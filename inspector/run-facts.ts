// What the board and a run's page say about a run, read from the registry (never written): state,
// current worker, blocker, next safe action, cost, elapsed time. Redacted; cheap to read every second.
import { TERMINAL_STATES } from '../machines/states.ts';
import { nextSafeAction, type NextSafeAction } from '../machines/next-safe-action.ts';
import type { Blocker } from '../machines/types.ts';
import { RegistryCorruptError } from '../persistence/errors.ts';
import { isAlive } from '../persistence/process-identity.ts';
import { refuseQuarantinedRun } from '../persistence/quarantine.ts';
import type { JournalEntry, RunMeta } from '../persistence/records.ts';
import type { Registry } from '../persistence/port.ts';
import { hostName } from '../persistence/host.ts';
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

// Facts read from a run's journal, folded in as it grows: the board reads every run each second,
// and only what a journal gained since the last look is read (nothing, for a run that did not move).
interface JournalFacts {
  seq: number;
  cost_usd: number | null;
  path: string | null;
  started: Map<string, string>;
}
const journalCache = new Map<string, JournalFacts>();
const metaCache = new Map<string, RunMeta>();

/** Every run in the registry, newest first; a run whose records fail validation is listed as quarantined. */
export async function boardRows(registry: Registry, secrets: readonly string[], now = Date.now()): Promise<RunFacts[]> {
  const rows = await Promise.all((await registry.runIds()).map((id) => runFacts(registry, id, secrets, now)));
  return rows.sort((a, b) => (b.created_at ?? '').localeCompare(a.created_at ?? '') || b.run_id.localeCompare(a.run_id));
}

/** One run's facts (the run must exist). */
export async function runFacts(registry: Registry, runId: string, secrets: readonly string[], now = Date.now()): Promise<RunFacts> {
  try {
    await refuseQuarantinedRun(registry, runId);
    const meta = await cachedMeta(registry, runId);
    const envelope = await registry.readSnapshot(runId);
    const journal = await journalFacts(registry, runId);
    const context = (envelope?.snapshot.context ?? {}) as { blocker?: Blocker | null; blockers?: Blocker[]; current?: Omit<CurrentWorker, 'since'> | null; cost_usd?: unknown };
    const state = envelope?.state ?? 'packet_received';
    const terminal = TERMINAL_STATES.has(state);
    const blocker = context.blocker ?? null;
    const current = !terminal && context.current ? { ...pickTask(context.current), since: journal.started.get(context.current.task_id) ?? null } : null;
    const updated = envelope?.updated_at ?? meta.created_at;
    const facts: RunFacts = {
      run_id: runId, state, path: journal.path ?? state, terminal, driven: terminal ? false : await isDriven(registry, runId),
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

async function cachedMeta(registry: Registry, runId: string): Promise<RunMeta> {
  const key = `${registry.location}\0${runId}`;
  const known = metaCache.get(key);
  if (known) return known;
  const meta = await registry.readMeta(runId);
  if (meta.run_id !== runId) throw new RegistryCorruptError(registry.recordName(runId, 'meta'), `names run ${meta.run_id}`);
  metaCache.set(key, meta);
  return meta;
}

async function journalFacts(registry: Registry, runId: string): Promise<JournalFacts> {
  const key = `${registry.location}\0${runId}`;
  const known = journalCache.get(key) ?? { seq: 0, cost_usd: null, path: null, started: new Map<string, string>() };
  const fresh = await registry.readJournal(runId, { after: known.seq, whileWritten: true });
  if (fresh.length === 0) return known;
  const facts: JournalFacts = { seq: fresh.at(-1)!.seq, cost_usd: known.cost_usd, path: known.path, started: new Map(known.started) };
  for (const e of fresh) {
    if (e.type === 'worker.started') facts.started.set(e.task_id, e.at);
    if (e.type === 'run.created' || e.type === 'run.transition') facts.path = e.to;
  }
  const cost = journalCost(fresh);
  if (cost !== null) facts.cost_usd = Math.round(((facts.cost_usd ?? 0) + cost) * 1e6) / 1e6;
  journalCache.set(key, facts);
  return facts;
}

// A driver on another host cannot be checked from here: its ownership is its registry's word.
async function isDriven(registry: Registry, runId: string): Promise<boolean> {
  const holder = await registry.readOwner(runId);
  return holder !== null && holder.pid > 0 && (holder.host !== hostName() || isAlive(holder));
}
