import { open, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

/** fsync a directory so a rename or a new entry in it survives a power cut. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes a file so that after a crash it holds either the old or the new bytes, never a mix. */
export async function writeFileDurable(path: string, data: string): Promise<void> {
  await writeFileAtomic(path, data, { fsync: true });
  await fsyncDir(dirname(path));
}

/** Writes JSON durably, creating the parent folder. */
export async function writeJsonDurable(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileDurable(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Reads a file, or null when it does not exist. */
export async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
