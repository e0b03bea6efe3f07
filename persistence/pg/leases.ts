import type pg from 'pg';
import { conflictsWith, type HolderIsLive, type Lease, type LeaseClaim, type LeaseOutcome } from '../lease.ts';
import { ADVISORY } from './connection.ts';
import { ownerWrite, type PgContext } from './fence.ts';

// Lease changes of one registry go one at a time: the one in progress holds a connection (and the
// advisory lock) while its holderIsLive may need another, so they must not pile up on the pool.
const queues = new WeakMap<PgContext, Promise<unknown>>();

function oneAtATime<T>(ctx: PgContext, work: () => Promise<T>): Promise<T> {
  const next = (queues.get(ctx) ?? Promise.resolve()).then(work);
  queues.set(ctx, next.catch(() => {}));
  return next;
}

const COLUMNS = 'resource, mode, run_id, acquired_at, expires_at';
type LeaseRow = { resource: string; mode: 'exclusive' | 'shared'; run_id: string; acquired_at: Date; expires_at: Date };
const toLease = (row: LeaseRow): Lease => ({
  resource: row.resource, mode: row.mode, run_id: row.run_id, acquired_at: row.acquired_at.toISOString(), expires_at: row.expires_at.toISOString(),
});

/**
 * Every claim or none, under one advisory lock for the whole table (CONTRACT 8): a conflicting live
 * holder is returned; otherwise expired and dead holders' claims go, and the run's claims become
 * exactly these. Conflicts (prefix-aware surfaces, shared vs exclusive) are decided by the same
 * function as the directory registry's.
 */
export function acquireLeases(
  ctx: PgContext, runId: string, claims: LeaseClaim[], ttlMs: number, now: Date, holderIsLive: HolderIsLive,
): Promise<LeaseOutcome> {
  return oneAtATime(ctx, () => ownerWrite(ctx, runId, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY.leases]);
    const held = await client.query<LeaseRow>(`SELECT ${COLUMNS} FROM leases WHERE run_id <> $1 AND expires_at > $2 ORDER BY acquired_at, ord`, [runId, now]);
    const others = held.rows.map(toLease);
    const liveness = new Map<string, boolean>();
    const isLive = async (lease: Lease) => {
      if (!liveness.has(lease.run_id)) liveness.set(lease.run_id, await holderIsLive(lease, now));
      return liveness.get(lease.run_id)!;
    };
    for (const wanted of claims) {
      for (const lease of others) {
        if (conflictsWith(lease, wanted) && (await isLive(lease))) return { granted: false as const, holder: lease, wanted };
      }
    }
    const dead = [...liveness].filter(([, live]) => !live).map(([id]) => id);
    await client.query('DELETE FROM leases WHERE expires_at <= $1 OR run_id = $2 OR run_id = ANY($3::text[])', [now, runId, dead]);
    const expires = new Date(now.getTime() + ttlMs);
    await insertClaims(client, runId, claims, now, expires);
    const mine = claims.map((claim) => ({ ...claim, run_id: runId, acquired_at: now.toISOString(), expires_at: expires.toISOString() }));
    return { granted: true as const, leases: mine };
  }));
}

async function insertClaims(client: pg.PoolClient, runId: string, claims: LeaseClaim[], now: Date, expires: Date): Promise<void> {
  if (claims.length === 0) return;
  // A resource claimed twice is held once, exclusively if either claim was.
  await client.query(
    `INSERT INTO leases (resource, mode, ord, run_id, acquired_at, expires_at)
     SELECT t.resource, t.mode, t.ord, $1, $4, $5 FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(resource, mode, ord)
     ON CONFLICT (resource, run_id) DO UPDATE SET mode = CASE WHEN leases.mode = 'exclusive' OR EXCLUDED.mode = 'exclusive' THEN 'exclusive' ELSE 'shared' END`,
    [runId, claims.map((c) => c.resource), claims.map((c) => c.mode), now, expires],
  );
}

/** Extends every claim of the run to now + ttl; how many. */
export function renewLeases(ctx: PgContext, runId: string, ttlMs: number, now: Date): Promise<number> {
  return oneAtATime(ctx, () => ownerWrite(ctx, runId, async (client) => {
    const renewed = await client.query('UPDATE leases SET expires_at = $2 WHERE run_id = $1', [runId, new Date(now.getTime() + ttlMs)]);
    return renewed.rowCount ?? 0;
  }));
}

/** Drops every claim of the run; how many. A session here that lost the run drops nothing (the new owner holds them). */
export function releaseLeases(ctx: PgContext, runId: string): Promise<number> {
  return oneAtATime(ctx, () => ownerWrite(ctx, runId, async (client) => {
    const dropped = await client.query('DELETE FROM leases WHERE run_id = $1', [runId]);
    return dropped.rowCount ?? 0;
  }));
}

export async function leasesHeldBy(ctx: PgContext, runId: string): Promise<Lease[]> {
  const result = await ctx.pool.query<LeaseRow>(`SELECT ${COLUMNS} FROM leases WHERE run_id = $1 ORDER BY acquired_at, ord`, [runId]);
  return result.rows.map(toLease);
}

export async function allLeases(ctx: PgContext): Promise<Lease[]> {
  const result = await ctx.pool.query<LeaseRow>(`SELECT ${COLUMNS} FROM leases ORDER BY acquired_at, run_id, ord`);
  return result.rows.map(toLease);
}
