import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isAlive, selfIdentity, type ProcessIdentity } from './process-identity.ts';

const queues = new Map<string, Promise<unknown>>();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The mutex could not be had in time: another process held it throughout. */
export class MutexTimeoutError extends Error {
  constructor(path: string, holder: number) {
    super(`${path} stayed locked by pid ${holder}: if that process is gone, remove the file`);
    this.name = 'MutexTimeoutError';
  }
}

/**
 * Runs `work` while holding a short-lived lock file: callers in this process queue in order,
 * other processes wait for the file (O_EXCL), and a file left by a dead process is removed.
 * The file is not fsync'd: after a power cut its holder is dead, so it is stale anyway.
 */
export async function withFileMutex<T>(path: string, work: () => Promise<T>, waitMs = 30_000): Promise<T> {
  const previous = queues.get(path) ?? Promise.resolve();
  const turn = previous.then(() => holdFile(path, work, waitMs));
  const tail = turn.catch(() => {});
  queues.set(path, tail);
  try {
    return await turn;
  } finally {
    if (queues.get(path) === tail) queues.delete(path);
  }
}

async function holdFile<T>(path: string, work: () => Promise<T>, waitMs: number): Promise<T> {
  const me = selfIdentity();
  // A host's work root (a database registry's) may not exist yet.
  // Small, quick calls, made in place (see durable-file.ts).
  mkdirSync(dirname(path), { recursive: true });
  const until = Date.now() + waitMs;
  for (let pause = 1; ; pause = Math.min(pause * 2, 25)) {
    // Written aside, then linked into place: the lock file never exists half-written.
    const staged = `${path}.${process.pid}.${randomBytes(3).toString('hex')}`;
    // A write that fails (a full disk) leaves no stray staged file.
    try {
      writeFileSync(staged, JSON.stringify(me));
    } catch (error) {
      removeQuietly(staged);
      throw error;
    }
    try {
      linkSync(staged, path);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      removeQuietly(staged);
    }
    const holder = await readHolder(path);
    if (holder !== null && !isAlive(holder)) {
      // Remove only the stale file we read (a fresh holder's file has another identity).
      const again = await readHolder(path);
      if (again !== null && again.pid === holder.pid && again.start === holder.start) removeQuietly(path);
      continue;
    }
    if (Date.now() > until) throw new MutexTimeoutError(path, holder?.pid ?? -1);
    await sleep(pause);
  }
  try {
    return await work();
  } finally {
    removeQuietly(path);
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

async function readHolder(path: string): Promise<ProcessIdentity | null> {
  try {
    const raw = JSON.parse(readFileSync(path, 'utf8')) as Partial<ProcessIdentity>;
    return typeof raw.pid === 'number' ? { pid: raw.pid, start: raw.start ?? null } : null;
  } catch {
    return null;
  }
}
