import { open, mkdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** fsync a directory so a rename or a new entry in it survives a power cut. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes a file so that after a crash it holds either the old or the new bytes, never a mix:
 * a unique temp file beside it, fdatasync, rename over, fsync the directory.
 */
export async function writeFileDurable(path: string, data: string, options: { syncDir?: boolean } = {}): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${tempPrefix()}${++tempCounter}.tmp`);
  const handle = await open(temp, 'wx');
  try {
    await handle.writeFile(data);
    await handle.datasync();
  } catch (error) {
    await handle.close();
    await unlink(temp).catch(() => {});
    throw error;
  }
  await handle.close();
  await rename(temp, path);
  if (options.syncDir !== false) await fsyncDir(dirname(path));
}

// Unique per process (pid + a random tag, in case a pid is reused) and per write (a counter).
// Made at the first write: a process that only reads (status) does not start the random source.
let prefix: string | undefined;
const tempPrefix = () => (prefix ??= `${process.pid}.${randomBytes(3).toString('hex')}.`);
let tempCounter = 0;

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
