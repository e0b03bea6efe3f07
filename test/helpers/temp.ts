// Temp folders that tests leave nothing of: each test's folders go when it ends (failed or not),
// after every process still using them is gone. See temp-root-setup.ts for the per-file root.
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

/**
 * A fresh folder under the test file's temp root. Made inside a test, it is removed when the test
 * finishes; made outside one (beforeAll, a describe body), it goes with the root after the file.
 */
export function makeTempDir(prefix = 'buran-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    onTestFinished(() => removeTree(dir));
  } catch {
    // Not inside a test: the file's root (temp-root-setup.ts) takes it.
  }
  return dir;
}

/** Stops every process that uses `dir` (as its working folder, in its arguments or environment), then removes it. */
export async function removeTree(dir: string): Promise<void> {
  await stopProcessesUsing(dir);
  rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
}

/**
 * SIGKILLs the processes that reference `path` and waits until they are gone. A test's CLI
 * processes, workers and verification commands all do: their working folder, their arguments
 * (--registry, the completion file) or their environment (TMPDIR, BURAN_TASK_FILE) names it.
 * Linux /proc only; elsewhere nothing is found and the folder is just removed.
 */
export async function stopProcessesUsing(path: string, waitMs = 10_000): Promise<number[]> {
  const killed: number[] = [];
  // A process killed while starting a child can leave that child behind: look again until none is found.
  for (let round = 0; round < 5; round++) {
    const users = processesUsing(path);
    if (users.length === 0) break;
    for (const pid of users) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.push(pid);
      } catch {
        // already gone
      }
    }
    const end = Date.now() + waitMs;
    while (users.some(isRunning)) {
      if (Date.now() > end) throw new Error(`processes using ${path} did not die after SIGKILL: ${users.filter(isRunning).join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return killed;
}

function processesUsing(path: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const own = new Set([process.pid, process.ppid]);
  const found: number[] = [];
  for (const name of entries) {
    if (!/^\d+$/.test(name) || own.has(Number(name)) || !isRunning(Number(name))) continue;
    const pid = Number(name);
    if (refersTo(`/proc/${name}/cwd`, path, 'link') || refersTo(`/proc/${name}/cmdline`, path, 'file') || refersTo(`/proc/${name}/environ`, path, 'file')) found.push(pid);
  }
  return found;
}

function refersTo(file: string, path: string, kind: 'link' | 'file'): boolean {
  try {
    const text = kind === 'link' ? readlinkSync(file) : readFileSync(file, 'latin1');
    return kind === 'link' ? text === path || text.startsWith(`${path}/`) : text.includes(path);
  } catch {
    return false; // gone, or not ours to read
  }
}

/** Alive and not a zombie waiting to be reaped (a zombie holds no folder open). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}
