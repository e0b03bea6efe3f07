import type pg from 'pg';
import { z } from '../../schemas/zod.ts';
import { BatchRecordSchema, type BatchProgress, type BatchRecord } from '../batch-store.ts';
import { BatchExistsError, BatchNotFoundError, RegistryCorruptError } from '../errors.ts';
import { checkId, parseValue } from './run-records.ts';

const batchName = (location: string, batchId: string, what: string) => `${location}#batches/${batchId}/${what}`;
// Each packet was an object when the batch was made; anything else means the row was damaged.
const PacketsSchema = z.array(z.record(z.string(), z.unknown()));

/** Records the batch with its packets in one statement; BatchExistsError when the id is taken. */
export async function createBatch(db: pg.Pool, record: BatchRecord, packets: Record<string, unknown>[]): Promise<void> {
  checkId(record.batch_id, 'batch');
  const inserted = await db.query('INSERT INTO batches (batch_id, record, packets) VALUES ($1, $2, $3) ON CONFLICT (batch_id) DO NOTHING',
    [record.batch_id, JSON.stringify(record), JSON.stringify(packets)]);
  if (inserted.rowCount === 0) throw new BatchExistsError(record.batch_id);
}

export async function readBatch(db: pg.Pool, location: string, batchId: string): Promise<{ record: BatchRecord; packets: Record<string, unknown>[] }> {
  checkId(batchId, 'batch');
  const found = await db.query<{ record: unknown; packets: unknown }>('SELECT record, packets FROM batches WHERE batch_id = $1', [batchId]);
  const row = found.rows[0];
  if (row === undefined) throw new BatchNotFoundError(batchId, location);
  const record = parseValue(batchName(location, batchId, 'batch'), row.record, BatchRecordSchema);
  const packets = parseValue(batchName(location, batchId, 'packets'), row.packets, PacketsSchema);
  if (packets.length !== record.runs.length) throw new RegistryCorruptError(batchName(location, batchId, 'packets'), 'does not hold one packet per run');
  return { record, packets };
}

export async function appendBatchProgress(db: pg.Pool, location: string, batchId: string, progress: BatchProgress): Promise<void> {
  checkId(batchId, 'batch');
  try {
    await db.query('INSERT INTO batch_progress (batch_id, progress) VALUES ($1, $2)', [batchId, JSON.stringify(progress)]);
  } catch (error) {
    if ((error as { code?: string }).code === '23503') throw new BatchNotFoundError(batchId, location);
    throw error;
  }
}

/** The finished runs recorded so far, in the order they were recorded (a row that is not progress proves nothing). */
export async function readBatchProgress(db: pg.Pool, batchId: string): Promise<BatchProgress[]> {
  checkId(batchId, 'batch');
  const found = await db.query<{ progress: Partial<BatchProgress> | null }>('SELECT progress FROM batch_progress WHERE batch_id = $1 ORDER BY id', [batchId]);
  return found.rows.map((row) => row.progress).filter((p): p is BatchProgress => typeof p?.run_id === 'string' && typeof p.state === 'string');
}
