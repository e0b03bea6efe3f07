import { statSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { InvalidIdError, RegistryCorruptError, RegistryUnusableError, RunExistsError, RunNotFoundError } from './errors.ts';
import { createRecordFolder, parseRecordLoading, readRecordText } from './record-file.ts';
import { isValidRunId, runLayout, runsDir, type RunLayout } from './layout.ts';
import type { RunMeta } from './records.ts';

/**
 * Creates a run's folder with its write-once records, all or nothing (staged, then renamed into
 * place), so a crash never leaves a half-made run.
 */
export async function createRunRecord(root: string, meta: RunMeta, packet: unknown): Promise<RunLayout> {
  const layout = runLayout(root, meta.run_id);
  await createRecordFolder(runsDir(root), meta.run_id, [[basename(layout.packet), packet], [basename(layout.meta), meta]], () => new RunExistsError(meta.run_id));
  return layout;
}

/** Opens an existing run's layout, or throws RunNotFoundError (InvalidIdError for an id that is no folder name). */
export async function findRun(root: string, runId: string): Promise<RunLayout> {
  // Checked before the id touches a path: `../../x` must never name a folder outside the registry.
  if (!isValidRunId(runId)) throw new InvalidIdError(runId);
  const layout = runLayout(root, runId);
  try {
    if (statSync(layout.dir).isDirectory()) return layout;
  } catch {
    // fall through
  }
  throw new RunNotFoundError(runId, root);
}

/**
 * Makes sure the registry root and its `runs` folder exist and are folders, creating them one
 * level at a time. Not `mkdir -p`: Node's recursive mkdir loops forever under a pseudo file
 * system such as /proc, where creating a folder fails with ENOENT inside an existing one.
 */
export async function ensureRegistry(root: string): Promise<void> {
  await makeFolder(root, 0);
  await makeFolder(runsDir(root), 0);
}

async function makeFolder(path: string, depth: number): Promise<void> {
  try {
    if ((await stat(path)).isDirectory()) return;
    throw new RegistryUnusableError(path, 'is a file, not a folder: give a folder (it is created if missing)');
  } catch (error) {
    if (error instanceof RegistryUnusableError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') throw new RegistryUnusableError(path, 'a part of the path is a file, not a folder');
    if (code !== 'ENOENT') throw new RegistryUnusableError(path, `cannot be read (${code ?? (error as Error).message})`);
  }
  const parent = dirname(path);
  if (parent === path || depth > 64) throw new RegistryUnusableError(path, 'cannot be created');
  await makeFolder(parent, depth + 1);
  try {
    await mkdir(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && (await stat(path)).isDirectory()) return;
    if (code === 'ENOSPC') throw error;
    throw new RegistryUnusableError(path, `cannot be created (${code ?? (error as Error).message}): give a folder you can write to`);
  }
}

/** Reads and validates run.json. */
export async function readRunMeta(layout: RunLayout): Promise<RunMeta> {
  const text = await readRecordText(layout.meta);
  if (text === null) throw new RegistryCorruptError(layout.meta, 'missing');
  return parseRunMeta(layout.meta, text);
}

/** run.json's text checked against its schema (loaded now); damaged is RegistryCorruptError naming `path`. */
export const parseRunMeta = (path: string, text: string): Promise<RunMeta> =>
  parseRecordLoading(path, text, async () => (await import('./records.ts')).RunMetaSchema);

// Kept in a module of its own, free of record schemas: `list` needs it and little else.
export { listRunIds } from './run-ids.ts';
