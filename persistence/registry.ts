import { mkdir, readdir, stat } from 'node:fs/promises';
import { RegistryCorruptError, RunExistsError, RunNotFoundError } from './errors.ts';
import { readIfExists, writeJsonDurable, fsyncDir } from './durable-file.ts';
import { runLayout, runsDir, type RunLayout } from './layout.ts';
import { RunMetaSchema, type RunMeta } from './records.ts';

/** Creates a run's folder and its write-once records; fails if the id is taken. */
export async function createRunRecord(root: string, meta: RunMeta, packet: unknown): Promise<RunLayout> {
  const layout = runLayout(root, meta.run_id);
  await mkdir(runsDir(root), { recursive: true });
  try {
    await mkdir(layout.dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new RunExistsError(meta.run_id);
    throw error;
  }
  await writeJsonDurable(layout.packet, packet);
  await writeJsonDurable(layout.meta, meta);
  await fsyncDir(runsDir(root));
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
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new RegistryCorruptError(layout.meta, `not valid JSON (${(error as Error).message})`);
  }
  const parsed = RunMetaSchema.safeParse(raw);
  if (!parsed.success) throw new RegistryCorruptError(layout.meta, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return parsed.data;
}

/** Every run id in the registry, sorted. */
export async function listRunIds(root: string): Promise<string[]> {
  try {
    const entries = await readdir(runsDir(root), { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
