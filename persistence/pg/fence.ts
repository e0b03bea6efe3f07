import type pg from 'pg';
import { RunOwnershipLostError } from '../errors.ts';
import { inTransaction } from './connection.ts';
import type { Ownership } from './ownership.ts';

/** What the registry's parts share: the pool, its name for messages, this owner, the runs it holds. */
export interface PgContext {
  readonly pool: pg.Pool;
  readonly location: string;
  readonly owner: Ownership;
  /** The runs this registry's open sessions hold, with the owner epoch each holds them at. */
  readonly held: Map<string, number>;
  /** Runs an openRun of this registry is taking right now. */
  readonly opening: Set<string>;
  /** Runs whose session here found them taken over: nothing more is written for them from here. */
  readonly lost: Set<string>;
  readonly channels: Channels;
}

/**
 * The NOTIFY channels of a registry: one per kind of news, named after the registry's schema (two
 * registries can share a database, each in a schema of its own, and a channel is the database's).
 */
export interface Channels {
  /** `<run id> <last seq>` after every journal append. */
  journal: string;
  /** `<run id>` when a cancel is requested. */
  cancel: string;
  /** `<run id>` when a run is queued for the runner hosts. */
  queue: string;
}

export function channelsFor(schema: string): Channels {
  const name = (kind: string) => `buran_${kind}_${schema}`.slice(0, 63);
  return { journal: name('journal'), cancel: name('cancel'), queue: name('queue') };
}

/**
 * Runs `work` in one transaction that first locks the run row while it is still held at `epoch` by
 * this owner. A takeover (which moves the epoch on with an UPDATE) and this lock exclude each other:
 * whichever commits first wins, and a fenced write that waited for a takeover finds the new epoch
 * (PostgreSQL re-reads the row it waited for) and locks nothing. Zero rows means the run was lost:
 * RunOwnershipLostError, and nothing of `work` lands.
 *
 * FOR SHARE, not FOR KEY SHARE: the epoch is not a key column, so a FOR KEY SHARE lock does not
 * conflict with the takeover's UPDATE and lets a stale write through. Writes that update the run row
 * themselves take FOR NO KEY UPDATE (the lock their UPDATE needs anyway, taken up front).
 */
export async function fenced<T>(
  ctx: PgContext, runId: string, epoch: number, strength: 'share' | 'update', work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const ownerId = await ctx.owner.id();
  return inTransaction(ctx.pool, async (client) => {
    const lock = await client.query(
      `SELECT 1 FROM runs WHERE run_id = $1 AND owner_epoch = $2 AND owner_id = $3 ${strength === 'share' ? 'FOR SHARE' : 'FOR NO KEY UPDATE'}`,
      [runId, epoch, ownerId],
    );
    if (lock.rowCount === 0) {
      ctx.lost.add(runId);
      throw new RunOwnershipLostError(runId, epoch);
    }
    return work(client);
  });
}

/**
 * The same fence in one statement, one round trip (the driver's appends and snapshot saves, its
 * hottest writes): `fence` is a CTE that locks the run row as above, and `statement` the rest of a
 * WITH query whose writes all depend on `EXISTS (SELECT 1 FROM fence)` and whose last SELECT returns
 * `landed`. Its parameters follow $1 run id, $2 epoch, $3 owner. Locks, waits and re-checks exactly as
 * the transaction does: a lock clause behaves the same in a CTE.
 */
export async function fencedStatement(
  ctx: PgContext, runId: string, epoch: number, strength: 'share' | 'update', statement: string, params: unknown[],
): Promise<void> {
  const ownerId = await ctx.owner.id();
  const result = await ctx.pool.query<{ landed: boolean }>(
    `WITH fence AS MATERIALIZED (SELECT 1 FROM runs WHERE run_id = $1 AND owner_epoch = $2 AND owner_id = $3 ${strength === 'share' ? 'FOR SHARE' : 'FOR NO KEY UPDATE'}),
     ${statement}`,
    [runId, epoch, ownerId, ...params],
  );
  if (result.rows[0]?.landed !== true) {
    ctx.lost.add(runId);
    throw new RunOwnershipLostError(runId, epoch);
  }
}

/**
 * A write for a run other than its history (an effect record, its leases): fenced when this registry
 * drives the run, so a stale owner's late result never lands; refused when its session here lost the
 * run; plain otherwise (a command that is not driving the run). Always one transaction.
 */
export async function ownerWrite<T>(ctx: PgContext, runId: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const epoch = ctx.held.get(runId);
  if (epoch !== undefined) return fenced(ctx, runId, epoch, 'share', work);
  if (ctx.lost.has(runId)) throw new RunOwnershipLostError(runId, null);
  return inTransaction(ctx.pool, work);
}
