import { closeSync, fdatasync, fsync, mkdirSync, openSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

// Opening, writing, renaming and closing a small file are quick system calls, done in place: each
// through the promise API costs a thread-pool round trip and a FileHandle, which was most of the
// driver's own CPU per run. Only the flushes to disk, which wait on the device, leave the thread.
const flushData = promisify(fdatasync);
const flushAll = promisify(fsync);

/** Flushes an open file's data to disk (off the main thread), then closes it. */
export async function flushAndClose(fd: number, all = false): Promise<void> {
  try {
    await (all ? flushAll(fd) : flushData(fd));
  } finally {
    closeSync(fd);
  }
}

/** fsync a directory so a rename or a new entry in it survives a power cut. */
export async function fsyncDir(dir: string): Promise<void> {
  await flushAndClose(openSync(dir, 'r'), true);
}

/**
 * Writes a file so that after a crash it holds either the old or the new bytes, never a mix:
 * a unique temp file beside it, fdatasync, rename over, fsync the directory.
 */
export async function writeFileDurable(path: string, data: string, options: { syncDir?: boolean } = {}): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${tempPrefix()}${++tempCounter}.tmp`);
  const fd = openSync(temp, 'wx');
  try {
    writeFileSync(fd, data);
    await flushAndClose(fd);
  } catch (error) {
    try { closeSync(fd); } catch { /* closed by flushAndClose */ }
    try { unlinkSync(temp); } catch { /* never made */ }
    throw error;
  }
  renameSync(temp, path);
  if (options.syncDir !== false) await fsyncDir(dirname(path));
}

// Unique per process (pid + a random tag, in case a pid is reused) and per write (a counter).
// Made at the first write: a process that only reads (status) does not start the random source.
let prefix: string | undefined;
const tempPrefix = () => (prefix ??= `${process.pid}.${randomBytes(3).toString('hex')}.`);
let tempCounter = 0;

/** Writes JSON durably, creating the parent folder. */
export async function writeJsonDurable(path: string, value: unknown): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
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
