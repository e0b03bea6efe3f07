import { RUN_STATES } from '../../machines/states.ts';
import { withRegistry } from '../registry-access.ts';
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
  const shown: ListRow[] = (await withRegistry(flags.registry, (registry) => registry.listRuns({ state: flags.state, limit: flags.limit })))
    .map(({ run_id, state, updated_at, blocker, cost_usd }) => ({ run_id, state, updated_at, blocker, cost_usd }));
  if (flags.json) {
    for (const row of shown) output.out(JSON.stringify(row));
    return 0;
  }
  if (shown.length === 0) {
    output.out(flags.state === undefined ? `no runs in ${flags.registry}` : `no ${flags.state} runs in ${flags.registry}`);
    return 0;
  }
  const now = Date.now();
  for (const line of table(['RUN', 'STATE', 'UPDATED', 'COST', 'BLOCKER'], shown.map((r) => [
    r.run_id, r.state, relativeTime(r.updated_at, now), money(r.cost_usd), r.blocker ?? '-',
  ]))) output.out(line);
  return 0;
}
