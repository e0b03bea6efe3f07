import { RUN_STATES } from '../../machines/states.ts';
import { listRunsAt } from '../../persistence/list-runs.ts';
import { UsageError } from '../errors.ts';
import type { Output } from '../output.ts';
import { money, relativeTime, table } from '../table.ts';

/** `buran list` flags. */
export interface ListFlags {
  registry: string;
  json: boolean;
  state?: string;
  limit?: number;
}

/** One run as `list` shows it: read from its snapshot alone (never its journal). */
export interface ListRow {
  run_id: string;
  state: string;
  updated_at: string | null;
  blocker: string | null;
  /** What the run's agents reported so far (context.cost_usd). */
  cost_usd: number;
}

const STATES = [...RUN_STATES, 'quarantined'];

/**
 * `buran list [--state S] [--limit N]`: one line per run, most recently updated first, from each
 * run's summary in the registry (no journal is read).
 */
export async function listCommand(flags: ListFlags, output: Output): Promise<number> {
  if (flags.state !== undefined && !STATES.includes(flags.state)) {
    throw new UsageError(`--state ${flags.state}: not a run state; use one of ${STATES.join(', ')}`);
  }
  const shown = await listRunsAt(flags.registry, { state: flags.state, limit: flags.limit });
  // One write for the whole listing: a line at a time is a system call per run (10,000 of them).
  if (flags.json) {
    const line = ({ run_id, state, updated_at, blocker, cost_usd }: ListRow) => JSON.stringify({ run_id, state, updated_at, blocker, cost_usd } satisfies ListRow);
    if (shown.length > 0) output.out(shown.map(line).join('\n'));
    return 0;
  }
  if (shown.length === 0) {
    output.out(flags.state === undefined ? `no runs in ${flags.registry}` : `no ${flags.state} runs in ${flags.registry}`);
    return 0;
  }
  const now = Date.now();
  // Runs share a handful of costs: each is formatted once.
  const costs = new Map<number, string>();
  const cost = (usd: number) => costs.get(usd) ?? costs.set(usd, money(usd)).get(usd)!;
  output.out(table(['RUN', 'STATE', 'UPDATED', 'COST', 'BLOCKER'], shown.map((r) => [
    r.run_id, r.state, relativeTime(r.updated_at, now), cost(r.cost_usd), r.blocker ?? '-',
  ])).join('\n'));
  return 0;
}
