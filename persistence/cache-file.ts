// The safe-file steps of a registry cache (list-cache.json, a run's status-cache.json): a cache is
// only ever a saving, so nothing here throws, blocks or follows a link.
import { closeSync, constants, fstatSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A cache file's bytes, or null when there is none to read: missing, unreadable, or anything but a
 * regular file. Opened without following a link and without blocking, so a link or a FIFO in its
 * place is no cache and never hangs the command.
 */
export function readCacheFile(path: string): Buffer | null {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    return fstatSync(fd).isFile() ? readFileSync(fd) : null;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeQuietly(fd);
  }
}

/**
 * A new cache being written: a temp file beside the cache, renamed over it by `commit` (a link in
 * its place is replaced, never followed). `since` is the temp file's own change time, taken when it
 * was made: before anything the cache describes is read for it.
 */
export interface CacheWriter {
  readonly since: number;
  /** Writes the cache and puts it in place; false when it could not be (the command is right without it). */
  commit(data: string | Buffer): boolean;
  abandon(): void;
}

/**
 * Starts a new cache file `name` in `dir`, or returns null when the folder takes no new file
 * (read-only, full, another user's): the command then works without one.
 */
export function startCacheFile(dir: string, name: string): CacheWriter | null {
  // Unique enough without node:crypto: a name taken already fails the exclusive create, and that
  // command just keeps no cache.
  const temp = join(dir, `.${name}.${process.pid}.${Date.now().toString(36)}.tmp`);
  let fd: number;
  let since: number;
  try {
    fd = openSync(temp, 'wx', 0o644);
  } catch {
    return null;
  }
  try {
    since = fstatSync(fd).ctimeMs;
  } catch {
    closeQuietly(fd);
    removeQuietly(temp);
    return null;
  }
  let fdOpen = true;
  let done = false;
  const close = () => {
    if (!fdOpen) return;
    fdOpen = false;
    closeQuietly(fd);
  };
  const abandon = () => {
    if (done) return;
    done = true;
    close();
    removeQuietly(temp);
  };
  return {
    since,
    abandon,
    commit(data) {
      if (done) return false;
      try {
        // No fsync: a cache torn by a power cut fails its checks and is rebuilt; a lost rename
        // leaves the older cache, which is checked as any other.
        writeFileSync(fd, data);
        fdOpen = false;
        closeSync(fd);
        renameSync(temp, join(dir, name));
        done = true;
        return true;
      } catch {
        abandon();
        return false;
      }
    },
  };
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already
  }
}
