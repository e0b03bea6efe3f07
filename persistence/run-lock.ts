import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import { RunLockedError } from './errors.ts';
import { isAlive, selfIdentity, type ProcessIdentity } from './process-identity.ts';

/** The single-writer lock of one run; release it when the driving process is done. */
export interface RunLock {
  release(): Promise<void>;
}

/** Reads who holds a run's lock, or null. */
export async function readLockHolder(path: string): Promise<ProcessIdentity | null> {
  try {
    const raw = JSON.parse(await readFile(path, 'utf8')) as Partial<ProcessIdentity>;
    return typeof raw.pid === 'number' ? { pid: raw.pid, start: raw.start ?? null } : { pid: -1, start: null };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    // A half-written lock (crash during create) holds no live writer.
    return { pid: -1, start: null };
  }
}

/**
 * Takes the run's lock: O_EXCL create; a lock whose holder is dead is taken over by
 * renaming a fresh lock over it, after checking again that the same dead holder is there.
 */
export async function acquireRunLock(path: string, runId: string): Promise<RunLock> {
  const me = selfIdentity();
  const body = JSON.stringify({ ...me, run_id: runId, at: new Date().toISOString() });
  for (let attempt = 0; attempt < 5; attempt++) {
    // Written aside and linked into place: a reader never sees the lock half-written (and
    // taken for a dead holder's).
    const staged = `${path}.${me.pid}.${randomBytes(3).toString("hex")}.new`;
    await writeStaged(staged, body);
    try {
      await link(staged, path);
      return lockHandle(path, me);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await unlink(staged).catch(() => {});
    }
    const holder = await readLockHolder(path);
    if (holder === null) continue;
    if (holder.pid === me.pid && holder.start === me.start) return lockHandle(path, me);
    if (holder.pid > 0 && isAlive(holder)) throw new RunLockedError(runId, holder.pid);
    const fresh = `${path}.${me.pid}.takeover`;
    await writeStaged(fresh, body);
    const again = await readLockHolder(path);
    if (again !== null && (again.pid !== holder.pid || again.start !== holder.start)) {
      await unlink(fresh).catch(() => {});
      continue;
    }
    await rename(fresh, path);
    const won = await readLockHolder(path);
    if (won?.pid === me.pid) return lockHandle(path, me);
  }
  const holder = await readLockHolder(path);
  throw new RunLockedError(runId, holder?.pid ?? -1);
}

// A write that fails (a full disk) leaves no half-made file behind: lock.*.new files are never stray.
async function writeStaged(path: string, body: string): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(body);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => {});
    await unlink(path).catch(() => {});
    throw error;
  }
  await handle.close();
}

function lockHandle(path: string, me: ProcessIdentity): RunLock {
  return {
    async release() {
      const holder = await readLockHolder(path);
      if (holder?.pid === me.pid) await unlink(path).catch(() => {});
    },
  };
}
