import { batchExitCode, nextStartable } from '../machines/batch-rules.ts';
import { conflictsWith, type LeaseClaim } from '../persistence/lease-resources.ts';
import type { Registry } from '../persistence/port.ts';
import type { JournalEntry } from '../persistence/records.ts';
import { isRegistryProblem, RunLockedError, RunNotFoundError } from '../persistence/errors.ts';
import { driveRun, type DriveResult } from './drive-run.ts';

/** One run of the batch, with the claims its leases will cover. */
export interface BatchItem {
  run_id: string;
  claims: LeaseClaim[];
}

/** What the batch reports as it goes (for the live view and plain lines). */
export type BatchEvent =
  | { kind: 'started'; run_id: string }
  | { kind: 'entry'; run_id: string; entry: JournalEntry }
  | { kind: 'finished'; run_id: string; state: string; blocker: string | null; message: string | null }
  | { kind: 'budget_spent'; spent: number; max: number };

export interface BatchRunOptions {
  registry: Registry;
  batchId: string;
  items: BatchItem[];
  concurrency: number;
  interrupt: AbortSignal;
  killGraceMs: number;
  onEvent: (event: BatchEvent) => void;
  /** batch --max-cost-usd: no new run starts once the batch's runs have reported this much. */
  maxCostUsd?: number;
  /** What runs finished before this invocation (a --resume) reported. */
  spentBefore?: number;
}

/** The final state of every run the batch drove (or a registry_error / internal_error marker). */
export interface BatchOutcome {
  states: Map<string, { state: string; blocker: string | null; message: string | null; cost_usd: number }>;
  /** Cost the batch's runs reported, this invocation and before. */
  spent: number;
  stoppedEarly: boolean;
  exitCode: number;
}

const overlaps = (a: BatchItem, b: BatchItem) => a.claims.some((x) => b.claims.some((y) => conflictsWith(x, y)));

/**
 * Drives the batch's runs in one process, at most `concurrency` at once. A run that would
 * conflict with an active one waits in the queue for it (the conflict clears when that run
 * ends) rather than blocking on the lease. SIGINT/SIGTERM stop every active run resumably.
 */
export async function runBatch(options: BatchRunOptions): Promise<BatchOutcome> {
  const queue = [...options.items];
  const active = new Map<string, { item: BatchItem; done: Promise<void> }>();
  const states: BatchOutcome['states'] = new Map();
  let stoppedEarly = false;
  // Cost is summed from the runs' journals as agents report it, so the check is current.
  let spent = options.spentBefore ?? 0;
  const budgetSpent = () => options.maxCostUsd !== undefined && spent >= options.maxCostUsd - 1e-9;
  const onEvent = (event: BatchEvent) => {
    const cost = event.kind === 'entry' && event.entry.type === 'worker.finished' ? (event.entry as Record<string, unknown>).cost_usd : undefined;
    if (typeof cost === 'number') spent = Math.round((spent + cost) * 1e6) / 1e6;
    options.onEvent(event);
  };

  const start = (item: BatchItem) => {
    options.onEvent({ kind: 'started', run_id: item.run_id });
    const done = driveOne({ ...options, onEvent }, item.run_id).then(async (result) => {
      active.delete(item.run_id);
      if (result.stopped) stoppedEarly = true;
      states.set(item.run_id, { state: result.state, blocker: result.blocker, message: result.message, cost_usd: result.cost_usd });
      if (result.terminal) {
        await options.registry.appendBatchProgress(options.batchId, {
          run_id: item.run_id, state: result.state, blocker: result.blocker, at: new Date().toISOString(), cost_usd: result.cost_usd,
        });
      }
      options.onEvent({ kind: 'finished', run_id: item.run_id, state: result.state, blocker: result.blocker, message: result.message });
    });
    active.set(item.run_id, { item, done });
  };

  for (;;) {
    while (!options.interrupt.aborted && !budgetSpent()) {
      const index = nextStartable(queue, [...active.values()].map((a) => a.item), overlaps, options.concurrency);
      if (index === -1) break;
      start(queue.splice(index, 1)[0]!);
    }
    if (active.size === 0) break;
    await Promise.race([...active.values()].map((a) => a.done));
  }
  if (queue.length > 0) stoppedEarly = true;
  if (queue.length > 0 && budgetSpent()) options.onEvent({ kind: 'budget_spent', spent, max: options.maxCostUsd! });
  const finalStates = [...states.values()].map((s) => s.state);
  return { states, spent, stoppedEarly, exitCode: batchExitCode(finalStates, stoppedEarly) };
}

interface OneResult {
  state: string;
  terminal: boolean;
  stopped: boolean;
  blocker: string | null;
  message: string | null;
  cost_usd: number;
}

async function driveOne(options: BatchRunOptions, runId: string): Promise<OneResult> {
  try {
    const result: DriveResult = await driveRun({
      registry: options.registry, runId, interrupt: options.interrupt, killGraceMs: options.killGraceMs,
      onEntry: (entry) => options.onEvent({ kind: 'entry', run_id: runId, entry }),
    });
    return {
      state: result.state, terminal: result.terminal, stopped: result.stopped !== null && !result.terminal,
      blocker: result.blocker?.code ?? null, message: result.blocker?.message ?? null, cost_usd: result.cost_usd,
    };
  } catch (error) {
    // One run's problem is reported with it; the rest of the batch goes on.
    const registry = isRegistryProblem(error) || error instanceof RunLockedError || error instanceof RunNotFoundError;
    return {
      state: registry ? 'registry_error' : 'internal_error', terminal: false, stopped: false,
      blocker: registry ? 'registry_corrupt' : null, message: (error as Error)?.message ?? String(error), cost_usd: 0,
    };
  }
}
