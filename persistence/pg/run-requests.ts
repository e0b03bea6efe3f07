import type pg from 'pg';
import { RegistryCorruptError, RunNotFoundError } from '../errors.ts';
import type { CancelRequest } from '../cancel-request.ts';
import type { QuarantineRecord } from '../quarantine.ts';
import type { EffectKey } from '../port.ts';
import { ownerWrite, type PgContext } from './fence.ts';
import { checkId, recordName } from './run-records.ts';

// A row that names a run the registry does not have breaks its foreign key.
async function forRun<T>(ctx: PgContext, runId: string, write: () => Promise<T>): Promise<T> {
  checkId(runId);
  try {
    return await write();
  } catch (error) {
    if ((error as { code?: string }).code === '23503') throw new RunNotFoundError(runId, ctx.location);
    throw error;
  }
}

export async function readEffect<T>(ctx: PgContext, runId: string, key: EffectKey, accept: (value: unknown) => value is T, what: string): Promise<T | null> {
  checkId(runId);
  const found = await ctx.pool.query<{ value: unknown }>('SELECT value FROM effects WHERE run_id = $1 AND key = $2', [runId, key]);
  if (found.rows.length === 0) return null;
  const value = found.rows[0]!.value;
  if (!accept(value)) throw new RegistryCorruptError(recordName(ctx.location, runId, key), `not a ${what}`);
  return value;
}

/** Writes (or replaces) an effect record; fenced while this registry drives the run. */
export function writeEffect(ctx: PgContext, runId: string, key: EffectKey, value: unknown): Promise<void> {
  return forRun(ctx, runId, () => ownerWrite(ctx, runId, async (client) => {
    await client.query(
      `INSERT INTO effects (run_id, key, value) VALUES ($1, $2, $3)
       ON CONFLICT (run_id, key) DO UPDATE SET value = EXCLUDED.value, written_at = clock_timestamp()`,
      [runId, key, JSON.stringify(value)],
    );
  }));
}

/** The keys of a run's effect records under a prefix. */
export async function effectKeys(ctx: PgContext, runId: string, prefix: string): Promise<EffectKey[]> {
  checkId(runId);
  const found = await ctx.pool.query<{ key: string }>('SELECT key FROM effects WHERE run_id = $1 AND starts_with(key, $2)', [runId, prefix]);
  return found.rows.map((row) => row.key);
}

export function removeEffect(ctx: PgContext, runId: string, key: EffectKey): Promise<void> {
  return forRun(ctx, runId, () => ownerWrite(ctx, runId, async (client) => {
    await client.query('DELETE FROM effects WHERE run_id = $1 AND key = $2', [runId, key]);
  }));
}

/** Records the request (an earlier one stands) and tells the driving host at once (NOTIFY on commit). */
export function requestCancel(ctx: PgContext, runId: string, reason: string): Promise<void> {
  return forRun(ctx, runId, async () => {
    await ctx.pool.query(
      `WITH asked AS (INSERT INTO cancel_requests (run_id, reason, at) VALUES ($1, $2, $3) ON CONFLICT (run_id) DO NOTHING RETURNING run_id)
       SELECT pg_notify($4, run_id) FROM asked`,
      [runId, reason, new Date().toISOString(), ctx.channels.cancel],
    );
  });
}

export async function readCancelRequest(db: pg.Pool, runId: string): Promise<CancelRequest | null> {
  checkId(runId);
  const found = await db.query<CancelRequest>('SELECT reason, at FROM cancel_requests WHERE run_id = $1', [runId]);
  return found.rows[0] ?? null;
}

export async function linkRetry(db: pg.Pool, fromRunId: string, toRunId: string): Promise<void> {
  checkId(fromRunId);
  checkId(toRunId);
  await db.query('INSERT INTO retry_links (from_run, to_run, at) VALUES ($1, $2, $3)', [fromRunId, toRunId, new Date().toISOString()]);
}

export async function readRetries(db: pg.Pool, runId: string): Promise<string[]> {
  checkId(runId);
  const found = await db.query<{ to_run: string }>('SELECT to_run FROM retry_links WHERE from_run = $1 ORDER BY id', [runId]);
  return found.rows.map((row) => row.to_run);
}

/** Sets the run aside (once: the first record stands); its records are left exactly as they are. */
export function quarantine(ctx: PgContext, runId: string, error: RegistryCorruptError): Promise<void> {
  return forRun(ctx, runId, async () => {
    await ctx.pool.query(
      `WITH marked AS (INSERT INTO quarantine (run_id, at, file, reason) VALUES ($1, $2, $3, $4) ON CONFLICT (run_id) DO NOTHING RETURNING run_id)
       UPDATE runs SET quarantined = true WHERE run_id = $1`,
      [runId, new Date().toISOString(), error.file, error.message],
    );
  });
}

export async function readQuarantine(db: pg.Pool, runId: string): Promise<QuarantineRecord | null> {
  checkId(runId);
  const found = await db.query<QuarantineRecord>('SELECT at, file, reason FROM quarantine WHERE run_id = $1', [runId]);
  return found.rows[0] ?? null;
}
