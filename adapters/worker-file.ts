// Files a worker writes into the registry (its completion, its log) are read as untrusted: only a
// regular file of this task, never through a link, never a FIFO or a device, never past a size cap.
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';

/** What reading a worker's file found; `refused` says why in words for the blocker. */
export type WorkerFileRead =
  | { kind: 'missing' }
  | { kind: 'refused'; reason: string }
  | { kind: 'read'; text: string };

// O_NONBLOCK: opening a FIFO for reading returns at once instead of waiting for a writer (which
// blocked a threadpool thread, and with it every timer and signal of the driver, forever).
const FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Reads a file the worker wrote, or says why not: a symlink (O_NOFOLLOW), a FIFO, a device or a
 * folder, a hard link to some other file, or more than `maxBytes`, is refused without reading it.
 */
export async function readWorkerFile(path: string, maxBytes: number): Promise<WorkerFileRead> {
  let handle;
  try {
    handle = await open(path, FLAGS);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    if (code === 'ELOOP') return { kind: 'refused', reason: 'it is a symbolic link (only a regular file is read)' };
    return { kind: 'refused', reason: `it cannot be opened (${code ?? (error as Error).message})` };
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return { kind: 'refused', reason: `it is ${kindOf(stats)}, not a regular file` };
    if (stats.nlink > 1) return { kind: 'refused', reason: 'it is a hard link to another file (only a file of its own is read)' };
    if (stats.size > maxBytes) return { kind: 'refused', reason: `it is larger than ${maxBytes} bytes (${stats.size})` };
    // Read at most one byte past the cap: a file still growing is cut off, not read without end.
    const buffer = Buffer.alloc(Math.min(maxBytes + 1, Math.max(stats.size, 0) + 64 * 1024));
    let total = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, total, buffer.length - total, total);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total >= buffer.length) break;
    }
    if (total > maxBytes) return { kind: 'refused', reason: `it is larger than ${maxBytes} bytes` };
    return { kind: 'read', text: buffer.subarray(0, total).toString('utf8') };
  } finally {
    await handle.close();
  }
}

/** True when a regular file of its own is at `path` (no open: a FIFO there is not waited on). */
export async function isPlainFile(path: string): Promise<boolean> {
  try {
    const stats = await lstat(path);
    return stats.isFile() && stats.nlink === 1;
  } catch {
    return false;
  }
}

/**
 * The last `maxBytes` of a log (from the first line that starts inside them), read without
 * loading the whole file: logs have no size limit, and a 512 MB one does not fit in a string.
 */
export async function readLogTail(path: string, maxBytes: number): Promise<{ text: string; skipped: number } | null> {
  let handle;
  try {
    handle = await open(path, FLAGS);
  } catch {
    return null;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) return null;
    const start = Math.max(0, stats.size - maxBytes);
    const buffer = Buffer.alloc(Math.min(maxBytes, stats.size));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
    let text = buffer.subarray(0, bytesRead).toString('utf8');
    let skipped = start;
    if (start > 0) {
      const newline = text.indexOf('\n');
      skipped += newline + 1;
      text = newline === -1 ? '' : text.slice(newline + 1);
    }
    return { text, skipped };
  } finally {
    await handle.close();
  }
}

/** The first `maxBytes` of a log, cut at its last whole line. */
export async function readLogHead(path: string, maxBytes: number): Promise<string | null> {
  let handle;
  try {
    handle = await open(path, FLAGS);
  } catch {
    return null;
  }
  try {
    if (!(await handle.stat()).isFile()) return null;
    const buffer = Buffer.alloc(maxBytes);
    const { bytesRead } = await handle.read(buffer, 0, maxBytes, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

function kindOf(stats: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'not a regular file';
}
