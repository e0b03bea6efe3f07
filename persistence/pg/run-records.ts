import type pg from 'pg';
import type { z } from '../../schemas/zod.ts';
import { InvalidIdError, RegistryCorruptError, RunExistsError, RunNotFoundError } from '../errors.ts';
import { isValidRunId } from '../layout.ts';
import { JournalEntrySchema, RunMetaSchema, SnapshotEnvelopeSchema, type JournalEntry, type RunMeta, type SnapshotEnvelope } from '../records.ts';
import type { RunSummary } from '../port.ts';
import { Ownership, type HolderRow } from './ownership.ts';
import { summaryOfRow } from './summary.ts';

/** How a record of the database is named in messages and quarantine records. */
export const recordName = (location: string, runId: string, what: string) => `${location}#runs/${runId}/${what}`;

/** Refuses an id that could not name a run folder (ids also name worktrees and branches on the hosts). */
export function checkId(id: string, what = 'run'): void {
  if (!isValidRunId(id)) throw new InvalidIdError(id, what);
}

/** Records a new run with its frozen packet, in one statement; RunExistsError when the id is taken. */
export async function insertRun(db: pg.Pool, meta: RunMeta, packet: Record<string, unknown>, origin: 'direct' | 'submitted'): Promise<void> {
  checkId(meta.run_id);
  const inserted = await db.query(
    `INSERT INTO runs (run_id, meta, packet, origin, updated_at, queued_at, state)
     VALUES ($1, $2, $3, $4, $5, CASE WHEN $4 = 'submitted' THEN clock_timestamp() END, CASE WHEN $4 = 'submitted' THEN 'queued' ELSE 'packet_received' END)
     ON CONFLICT (run_id) DO NOTHING`,
    [meta.run_id, JSON.stringify(meta), JSON.stringify(packet), origin, meta.created_at],
  );
  if (inserted.rowCount === 0) throw new RunExistsError(meta.run_id);
}

/** The run's row, or RunNotFoundError. */
export async function runRow<T extends pg.QueryResultRow>(db: pg.Pool | pg.PoolClient, location: string, runId: string, columns: string): Promise<T> {
  checkId(runId);
  const result = await db.query<T>(`SELECT ${columns} FROM runs WHERE run_id = $1`, [runId]);
  if (result.rows.length === 0) throw new RunNotFoundError(runId, location);
  return result.rows[0]!;
}

/** The run's recorded holder joined from `hosts` (owner_id null when nobody holds it). */
export async function holderOf(db: pg.Pool, location: string, runId: string, deadAfterMs: number): Promise<HolderRow | null> {
  checkId(runId);
  const found = await db.query<HolderRow>(`SELECT ${Ownership.holderColumns('$2')} FROM runs r LEFT JOIN hosts h ON h.id = r.owner_id WHERE r.run_id = $1`, [runId, deadAfterMs]);
  if (found.rows.length === 0) throw new RunNotFoundError(runId, location);
  const row = found.rows[0]!;
  return row.owner_id === null ? null : row;
}

export async function readMeta(db: pg.Pool, location: string, runId: string): Promise<RunMeta> {
  const row = await runRow<{ meta: unknown }>(db, location, runId, 'meta');
  return parseValue(recordName(location, runId, 'run'), row.meta, RunMetaSchema);
}

export async function readPacket(db: pg.Pool, location: string, runId: string): Promise<Record<string, unknown>> {
  const row = await runRow<{ packet: unknown }>(db, location, runId, 'packet');
  const packet = row.packet;
  if (typeof packet !== 'object' || packet === null || Array.isArray(packet)) throw new RegistryCorruptError(recordName(location, runId, 'packet'), 'not a packet (an object)');
  return packet as Record<string, unknown>;
}

/** Summaries, newest update first, from the runs table alone. */
export async function listRuns(db: pg.Pool, query: { state?: string; limit?: number } = {}): Promise<RunSummary[]> {
  const where = query.state === undefined ? '' : query.state === 'quarantined' ? 'WHERE quarantined' : 'WHERE state = $1 AND NOT quarantined';
  const params: unknown[] = query.state === undefined || query.state === 'quarantined' ? [] : [query.state];
  const limit = query.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(query.limit))}`;
  const result = await db.query<Parameters<typeof summaryOfRow>[0]>(
    `SELECT run_id, state, updated_at, blocker, cost_usd, quarantined FROM runs ${where}
     ORDER BY (CASE WHEN quarantined THEN NULL ELSE updated_at END) DESC NULLS LAST, run_id${limit}`,
    params,
  );
  return result.rows.map(summaryOfRow);
}

export async function runIds(db: pg.Pool): Promise<string[]> {
  const result = await db.query<{ run_id: string }>('SELECT run_id FROM runs ORDER BY created_at, run_id');
  return result.rows.map((row) => row.run_id);
}

export async function readSnapshot(db: pg.Pool | pg.PoolClient, location: string, runId: string): Promise<SnapshotEnvelope | null> {
  checkId(runId);
  const result = await db.query<{ envelope: unknown }>('SELECT envelope FROM snapshots WHERE run_id = $1', [runId]);
  if (result.rows.length === 0) return null;
  return parseValue(recordName(location, runId, 'snapshot'), result.rows[0]!.envelope, SnapshotEnvelopeSchema);
}

/**
 * Journal entries after `after`, oldest first. Rows are committed whole, so a reader never sees half an
 * append. Every entry's envelope is checked (and its whole shape with `full`, as a driver needs); a gap
 * in the numbers is corruption.
 */
export async function readJournal(db: pg.Pool | pg.PoolClient, location: string, runId: string, after = 0, full = false): Promise<JournalEntry[]> {
  checkId(runId);
  const result = await db.query<{ seq: number; entry: unknown }>('SELECT seq, entry FROM journal WHERE run_id = $1 AND seq > $2 ORDER BY seq', [runId, after]);
  const name = recordName(location, runId, 'journal');
  return result.rows.map((row, i) => {
    const expected = after + 1 + i;
    if (row.seq !== expected) throw new RegistryCorruptError(name, `seq ${row.seq} follows seq ${expected - 1}: entries ${expected}..${row.seq - 1} are missing`);
    const entry = row.entry as Record<string, unknown> | null;
    const envelopeOk = typeof entry === 'object' && entry !== null && !Array.isArray(entry) && entry.seq === row.seq
      && typeof entry.at === 'string' && typeof entry.type === 'string' && entry.type !== '';
    if (!envelopeOk || (full && !JournalEntrySchema.safeParse(entry).success)) {
      const parsed = JournalEntrySchema.safeParse(entry);
      const issue = !envelopeOk && parsed.success ? `its seq is not ${row.seq}` : parsed.success ? 'invalid entry' : parsed.error.issues.map((x) => `${x.path.join('.') || 'entry'}: ${x.message}`)[0];
      throw new RegistryCorruptError(name, `seq ${row.seq}: ${issue}`);
    }
    return entry as JournalEntry;
  });
}

/** A stored JSON value checked against its schema; anything else is RegistryCorruptError naming the record. */
export function parseValue<S extends z.ZodMiniType>(name: string, value: unknown, schema: S): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new RegistryCorruptError(name, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return parsed.data;
}
