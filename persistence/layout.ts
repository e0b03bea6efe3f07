import { join } from 'node:path';

/** Where everything of one run lives under the registry root. */
export interface RunLayout {
  dir: string;
  meta: string;
  packet: string;
  snapshot: string;
  journal: string;
  lock: string;
  intake: string;
  taskDir: (taskId: string) => string;
  epochDir: (epoch: number) => string;
  handoffDir: string;
  /** workspace.setup's logs and report. */
  setupDir: string;
}

/** The registry root's folder of runs. */
export const runsDir = (root: string) => join(root, 'runs');

/** The folder of workspace leases. */
export const leasesDir = (root: string) => join(root, 'leases');

/** The file layout of one run. */
export function runLayout(root: string, runId: string): RunLayout {
  const dir = join(runsDir(root), runId);
  return {
    dir,
    meta: join(dir, 'run.json'),
    packet: join(dir, 'packet.json'),
    snapshot: join(dir, 'snapshot.json'),
    journal: join(dir, 'journal.jsonl'),
    lock: join(dir, 'lock'),
    intake: join(dir, 'intake.json'),
    taskDir: (taskId) => join(dir, 'tasks', taskId),
    epochDir: (epoch) => join(dir, 'epochs', String(epoch)),
    handoffDir: join(dir, 'handoff'),
    setupDir: join(dir, 'setup'),
  };
}

/** The folder of a run's own git worktree (--repo). */
export const worktreePath = (root: string, runId: string) => join(root, 'worktrees', runId);

/** Held while git adds or removes worktrees: git's own bookkeeping races under concurrent adds. */
export const worktreeMutexPath = (root: string) => join(root, 'worktrees.lock');

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Run ids become folder names: letters, digits, dot, dash, underscore. */
export function isValidRunId(id: string): boolean {
  return RUN_ID.test(id) && !id.includes('..');
}
