import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, join } from 'node:path';
import { RegistryCorruptError, RunExistsError, RunNotFoundError } from './errors.ts';
import { readIfExists, writeJsonDurable, fsyncDir } from './durable-file.ts';
import { runLayout, runsDir, type RunLayout } from './layout.ts';
import { RunMetaSchema, type RunMeta } from './records.ts';

/**
 * Creates a run's folder with its write-once records, all or nothing: they are written into a
 * hidden temp folder that is renamed into place, so a crash never leaves a half-made run.
 */
export async function createRunRecord(root: string, meta: RunMeta, packet: unknown): Promise<RunLayout> {
  const layout = runLayout(root, meta.run_id);
  await mkdir(runsDir(root), { recursive: true });
  if (existsSync(layout.dir)) throw new RunExistsError(meta.run_id);
  const staging = join(runsDir(root), `.new-${meta.run_id}-${process.pid}-${randomBytes(4).toString('hex')}`);
  const staged = runLayout(root, basename(staging));
  await mkdir(staging);
  try {
    await writeJsonDurable(join(staging, basename(staged.packet)), packet);
    await writeJsonDurable(join(staging, basename(staged.meta)), meta);
    await rename(staging, layout.dir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new RunExistsError(meta.run_id);
    throw error;
  }
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
    return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
