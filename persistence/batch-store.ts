import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from '../schemas/zod.ts';
import { ConfigSchema } from '../schemas/config.ts';
import { readIfExists } from './durable-file.ts';
import { BatchExistsError, BatchNotFoundError, InvalidIdError, RegistryCorruptError } from './errors.ts';
import { isValidRunId } from './layout.ts';
import { createRecordFolder, parseRecord, readRecordText } from './record-file.ts';
import { SCHEMA_VERSION } from './records.ts';

/** batch.json: written once when the batch is created; everything a resume needs. */
export const BatchRecordSchema = z.object({
  schema_version: z.literal(SCHEMA_VERSION),
  batch_id: z.string(),
  created_at: z.string(),
  source: z.string(),
  concurrency: z.int().check(z.positive()),
  config: ConfigSchema,
  config_source: z.nullable(z.string()),
  repo: z.nullable(z.string()),
  workspace: z.nullable(z.string()),
  /** One run per packet, in list order; its packet is in packets.json at the same index. */
  runs: z.array(z.object({ run_id: z.string(), task_id: z.string() })),
});
export type BatchRecord = z.infer<typeof BatchRecordSchema>;

/** One line of progress.jsonl: a run of the batch reached a terminal state. */
export interface BatchProgress {
  run_id: string;
  state: string;
  blocker: string | null;
  at: string;
  /** What the run's agents reported spending (USD). */
  cost_usd?: number;
}

export const batchesDir = (root: string) => join(root, 'batches');

/** The files of one batch. */
export function batchLayout(root: string, batchId: string) {
  const dir = join(batchesDir(root), batchId);
  return { dir, record: join(dir, 'batch.json'), packets: join(dir, 'packets.json'), progress: join(dir, 'progress.jsonl') };
}

/** Creates the batch's folder with its record and packets, all or nothing (staged, then renamed). */
export async function createBatch(root: string, record: BatchRecord, packets: unknown[]): Promise<void> {
  await createRecordFolder(batchesDir(root), record.batch_id, [['packets.json', packets], ['batch.json', record]], () => new BatchExistsError(record.batch_id));
}

// Each packet was an object when the batch was made; anything else means the file was damaged.
const PacketsSchema = z.array(z.record(z.string(), z.unknown()));

/** Reads a batch's record and packets; an unknown batch is BatchNotFoundError, a damaged one RegistryCorruptError (exit 5). */
export async function readBatch(root: string, batchId: string): Promise<{ record: BatchRecord; packets: Array<Record<string, unknown>> }> {
  if (!isValidRunId(batchId)) throw new InvalidIdError(batchId, 'batch');
  const layout = batchLayout(root, batchId);
  const text = await readRecordText(layout.record);
  if (text === null) throw new BatchNotFoundError(batchId, root);
  const record = parseRecord(layout.record, text, BatchRecordSchema);
  const packets = parseRecord(layout.packets, (await readRecordText(layout.packets)) ?? 'null', PacketsSchema);
  if (packets.length !== record.runs.length) throw new RegistryCorruptError(layout.packets, 'does not hold one packet per run');
  return { record, packets };
}

/**
 * Appends one finished run to the batch's progress (O(1) per change; fsync'd). A crash may
 * lose the last line: a resume then finds that run terminal in its own records instead.
 */
export async function appendBatchProgress(root: string, batchId: string, progress: BatchProgress): Promise<void> {
  const handle = await open(batchLayout(root, batchId).progress, 'a');
  try {
    await handle.appendFile(`${JSON.stringify(progress)}\n`);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/** The finished runs recorded so far (a torn last line is ignored). */
export async function readBatchProgress(root: string, batchId: string): Promise<BatchProgress[]> {
  const text = (await readIfExists(batchLayout(root, batchId).progress)) ?? '';
  const lines: BatchProgress[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    // A torn tail (crash mid-append) or a line that is not a progress record proves nothing:
    // that run is simply driven again, which returns at once if it had ended.
    try {
      const entry = JSON.parse(line) as Partial<BatchProgress>;
      if (typeof entry.run_id === 'string' && typeof entry.state === 'string') lines.push(entry as BatchProgress);
    } catch { /* torn tail */ }
  }
  return lines;
}

