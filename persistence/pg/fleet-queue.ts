import type { RunMeta } from '../records.ts';
import { inTransaction } from './connection.ts';
import { fenced, type PgContext } from './fence.ts';
import { Ownership } from './ownership.ts';
import { insertRun } from './run-records.ts';

/** A run a runner host has just claimed: it is now this registry's to open (openRun). */
export interface Claim {
  run_id: string;
  /** 'queued': a new run; 'takeover': a run whose previous host is dead. */
  kind: 'queued' | 'takeover';
  /** When it was queued, and when this host claimed it (the database's clock), for latency figures. */
  queued_at: Date | null;
  claimed_at: Date;
}

/** Records a run for the runner hosts to pick up (`buran submit`); idle hosts are woken by NOTIFY. */
export async function submitRun(ctx: PgContext, meta: RunMeta, packet: Record<string, unknown>): Promise<void> {
  await insertRun(ctx.pool, meta, packet, 'submitted');
  await ctx.pool.query('SELECT pg_notify($1, $2)', [ctx.channels.queue, meta.run_id]);
}

/**
 * Claims one run for this host, or null when there is none: the oldest queued run, else a submitted
 * run whose holder is dead (its heartbeat older than deadAfterMs, or stopped). Each run goes to exactly
 * one host: the row is locked FOR UPDATE SKIP LOCKED, so concurrent claimers pass each other by, and the
 * owner epoch moves on (a dead holder's late writes are fenced out). The run is then opened with openRun.
 */
export async function claimNext(ctx: PgContext): Promise<Claim | null> {
  const ownerId = await ctx.owner.id();
  const queued = await ctx.pool.query<Omit<Claim, 'kind'>>(
    `WITH next AS (SELECT run_id, queued_at FROM runs WHERE queued_at IS NOT NULL AND NOT quarantined ORDER BY queued_at, run_id FOR UPDATE SKIP LOCKED LIMIT 1)
     UPDATE runs r SET owner_id = $1, owner_epoch = r.owner_epoch + 1, queued_at = NULL
       FROM next WHERE r.run_id = next.run_id
     RETURNING r.run_id, next.queued_at, clock_timestamp() AS claimed_at`,
    [ownerId],
  );
  if (queued.rows[0] !== undefined) return { ...queued.rows[0], kind: 'queued' };
  return inTransaction(ctx.pool, async (client) => {
    // Candidates by the database's view of heartbeats; each is checked like openRun checks a holder.
    const dead = await client.query<{ run_id: string } & Parameters<Ownership['isLive']>[0]>(
      `SELECT r.run_id, ${Ownership.holderColumns('$2')} FROM runs r LEFT JOIN hosts h ON h.id = r.owner_id
        WHERE r.origin = 'submitted' AND NOT r.quarantined AND r.owner_id IS NOT NULL AND r.owner_id <> $1
          AND (h.id IS NULL OR h.stopped_at IS NOT NULL OR h.heartbeat_at < clock_timestamp() - $2 * interval '1 millisecond')
        ORDER BY r.run_id FOR UPDATE OF r SKIP LOCKED LIMIT 1`,
      [ownerId, ctx.owner.deadAfterMs],
    );
    const row = dead.rows[0];
    if (row === undefined || ctx.owner.isLive(row)) return null;
    const taken = await client.query<{ claimed_at: Date }>(
      'UPDATE runs SET owner_id = $2, owner_epoch = owner_epoch + 1 WHERE run_id = $1 RETURNING clock_timestamp() AS claimed_at',
      [row.run_id, ownerId],
    );
    return { run_id: row.run_id, kind: 'takeover' as const, queued_at: null, claimed_at: taken.rows[0]!.claimed_at };
  });
}

/**
 * Puts a run this registry drives back in the queue (a runner host that stops on SIGTERM parks what
 * it holds): fenced, so a host that already lost the run changes nothing.
 */
export async function requeue(ctx: PgContext, runId: string): Promise<void> {
  const epoch = ctx.held.get(runId);
  if (epoch === undefined) throw new Error(`run ${runId} is not driven by this registry: only its owner puts it back in the queue`);
  await fenced(ctx, runId, epoch, 'update', async (client) => {
    await client.query('UPDATE runs SET owner_id = NULL, queued_at = clock_timestamp() WHERE run_id = $1', [runId]);
    await client.query('SELECT pg_notify($1, $2)', [ctx.channels.queue, runId]);
  });
  ctx.held.delete(runId);
}

/**
 * Puts a submitted run that nobody holds and that is not finished back in the queue: a runner host
 * stopped on SIGTERM releases the runs it interrupted, then parks them here for the next host.
 * A run someone opened meanwhile (a `buran resume`) is left to them. True when it was parked.
 */
export async function park(ctx: PgContext, runId: string, terminalStates: readonly string[]): Promise<boolean> {
  const parked = await ctx.pool.query(
    `WITH parked AS (
       UPDATE runs SET queued_at = clock_timestamp()
        WHERE run_id = $1 AND origin = 'submitted' AND owner_id IS NULL AND queued_at IS NULL AND NOT (state = ANY($2::text[]))
        RETURNING run_id)
     SELECT pg_notify($3, run_id) FROM parked`,
    [runId, terminalStates, ctx.channels.queue],
  );
  return (parked.rowCount ?? 0) > 0;
}

/**
 * Lets go of a run this host claimed but could not drive (its records failed a check, its workspace
 * could not be made): no longer held by a live host, it is not taken over again and again; it waits,
 * unqueued, for a person (`buran status` says why, `buran resume` queues it again).
 */
export async function letGoOfClaim(ctx: PgContext, runId: string): Promise<void> {
  const ownerId = await ctx.owner.idIfRegistered();
  if (ownerId === null) return;
  await ctx.pool.query('UPDATE runs SET owner_id = NULL WHERE run_id = $1 AND owner_id = $2', [runId, ownerId]);
}
