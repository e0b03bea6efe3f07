import { readdir } from 'node:fs/promises';
import { RegistryUnusableError } from './errors.ts';
import { runsDir } from './layout.ts';

/** Every run id in the registry, sorted. */
export async function listRunIds(root: string): Promise<string[]> {
  try {
    const entries = await readdir(runsDir(root), { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    if (code === 'ENOTDIR') throw new RegistryUnusableError(root, 'is a file, not a folder');
    throw error;
  }
}
