import { readdir, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { RegistryCorruptError, RunExistsError, RunNotFoundError } from './errors.ts';
import { readIfExists } from './durable-file.ts';
import { createRecordFolder, parseRecord } from './record-file.ts';
import { runLayout, runsDir, type RunLayout } from './layout.ts';
import { RunMetaSchema, type RunMeta } from './records.ts';

/**
 * Creates a run's folder with its write-once records, all or nothing (staged, then renamed into
 * place), so a crash never leaves a half-made run.
 */
export async function createRunRecord(root: string, meta: RunMeta, packet: unknown): Promise<RunLayout> {
  const layout = runLayout(root, meta.run_id);
  await createRecordFolder(runsDir(root), meta.run_id, [[basename(layout.packet), packet], [basename(layout.meta), meta]], () => new RunExistsError(meta.run_id));
  return layout;
}

/** Opens an existing run's layout, or throws RunNotFoundError. */
export async function findRun(root: string, runId: string): Promise<RunLayout> {
  const layout = runLayout(root, runId);
  try {
    if ((await stat(layout.dir)).isDirectory()) return layout;
  } catch {
    // fall through
  }
  throw new RunNotFoundError(runId, root);
}

/** Reads and validates run.json. */
export async function readRunMeta(layout: RunLayout): Promise<RunMeta> {
  const text = await readIfExists(layout.meta);
  if (text === null) throw new RegistryCorruptError(layout.meta, 'missing');
  return parseRecord(layout.meta, text, RunMetaSchema);
}

/** Every run id in the registry, sorted. */
export async function listRunIds(root: string): Promise<string[]> {
  try {
    const entries = await readdir(runsDir(root), { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
