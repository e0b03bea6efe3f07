import { readdirSync, type Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { RegistryUnusableError } from './errors.ts';
import { runsDir } from './layout.ts';

/** Every run id in the registry, sorted. */
export async function listRunIds(root: string): Promise<string[]> {
  try {
    return runIdsOf(await readdir(runsDir(root), { withFileTypes: true }));
  } catch (error) {
    return noRuns(root, error);
  }
}

const runIdsOf = (entries: Dirent[]) => entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();

function noRuns(root: string, error: unknown): string[] {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return [];
  if (code === 'ENOTDIR') throw new RegistryUnusableError(root, 'is a file, not a folder');
  throw error;
}

/**
 * The same, read synchronously: for `list`, whose next step needs them all anyway, a thread-pool
 * round trip is only a wait (several milliseconds on a busy machine).
 */
export function listRunIdsSync(root: string): string[] {
  try {
    return runIdsOf(readdirSync(runsDir(root), { withFileTypes: true }));
  } catch (error) {
    return noRuns(root, error);
  }
}
