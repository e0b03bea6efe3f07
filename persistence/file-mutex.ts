import { acquireRunLock } from './run-lock.ts';
import { RunLockedError } from './errors.ts';

const queues = new Map<string, Promise<unknown>>();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `work` while holding a short-lived lock file: callers in this process queue in
 * order (the lock file is re-entrant per process), other processes wait for the file, and
 * a file left by a dead process is taken over. Waits at most `waitMs`.
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
  const until = Date.now() + waitMs;
  for (let pause = 2; ; pause = Math.min(pause * 2, 50)) {
    try {
      const lock = await acquireRunLock(path, 'mutex');
      try {
        return await work();
      } finally {
        await lock.release();
      }
    } catch (error) {
      if (!(error instanceof RunLockedError) || Date.now() > until) throw error;
      await sleep(pause);
    }
  }
}
