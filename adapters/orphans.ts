import { runIdentity } from './worker-env.ts';
import { recordedHere } from '../persistence/host.ts';
import { findProcessByEnv, findProcessesByEnv, isAlive, type ProcessIdentity } from '../persistence/process-identity.ts';
import type { RunRecords } from '../persistence/run-records.ts';
import { readIntent, readRunningCommand, readRunningSetup } from './dispatch-records.ts';
import { signalGroup, stopGroup } from './process-group.ts';

/**
 * Stops every process group a run's workers and verification commands may have left running
 * (recorded pids, and any process whose environment names this run). Returns the pids stopped.
 */
export async function stopRunProcesses(records: RunRecords, registryId: string, runId: string, graceMs: number): Promise<number[]> {
  const identity = runIdentity(registryId, runId);
  const found = new Map<number, ProcessIdentity>();
  for (const process of await recordedProcesses(records)) found.set(process.pid, process);
  // Every process naming the run, not only the first: one already found (a recorded worker) must
  // not hide the ones after it (what a verification command started in a session of its own).
  // Searched again after each round, since a process may start another while its group is stopped.
  for (let round = 0; round < 5; round++) {
    const fresh = findProcessesByEnv(identity).filter((p) => !found.has(p.pid));
    if (fresh.length === 0) break;
    for (const live of fresh) {
      found.set(live.pid, live);
      await stopGroup(live.pid, () => !isAlive(live), graceMs);
    }
  }
  for (const identity of found.values()) await stopGroup(identity.pid, () => !isAlive(identity), graceMs);
  return [...found.keys()];
}

/** The pids of a run's worker and verification processes that are still alive (recorded, or found by BURAN_RUN_ID). */
export async function liveRunProcesses(records: RunRecords, registryId: string, runId: string): Promise<number[]> {
  const pids = new Set<number>((await recordedProcesses(records)).map((p) => p.pid));
  const unrecorded = findProcessByEnv(runIdentity(registryId, runId));
  if (unrecorded !== null) pids.add(unrecorded.pid);
  return [...pids];
}

// A recorded process without a start time cannot be told from one that reused its pid: it is
// never signalled on the record's word (the BURAN_RUN_ID search finds it if it is really ours).
const signallable = (process: ProcessIdentity | null | undefined): process is ProcessIdentity =>
  !!process && typeof process.pid === 'number' && process.pid > 0 && typeof process.start === 'string' && isAlive(process);

// Another host's pids name processes of another kernel: never signalled from here.
const here = (record: { process: ProcessIdentity | null; host?: string } | null) => (recordedHere(record) ? record?.process : null);

/** The live processes the run's records name: dispatches', verification commands' and setup's. */
async function recordedProcesses(records: RunRecords): Promise<ProcessIdentity[]> {
  const found: (ProcessIdentity | null | undefined)[] = [];
  for (const key of await records.keys('tasks/')) {
    if (key.endsWith('/dispatch')) found.push(here(await readIntent(records, key.split('/')[1]!).catch(() => null)));
  }
  for (const key of await records.keys('epochs/')) {
    if (key.endsWith('/running')) found.push(here(await readRunningCommand(records, Number(key.split('/')[1])).catch(() => null)));
  }
  found.push(here(await readRunningSetup(records).catch(() => null)));
  return found.filter(signallable);
}

/**
 * Stops every process that still carries this task's ids in its environment once the task has
 * ended: a worker's child that left the group (setsid, a double fork) is not reached by the
 * group kill. Each is stopped with its own group. Returns the pids stopped.
 */
export async function stopTaskProcesses(run: Record<string, string>, taskId: string, graceMs: number): Promise<number[]> {
  const strays = findProcessesByEnv({ ...run, BURAN_TASK_ID: taskId });
  await Promise.all(strays.map((identity) => stopProcess(identity, graceMs)));
  return strays.map((identity) => identity.pid);
}

/** Its group when it leads one, else the process alone. */
async function stopProcess(identity: ProcessIdentity, graceMs: number): Promise<void> {
  if (signalGroup(identity.pid, 'SIGTERM')) {
    await stopGroup(identity.pid, () => !isAlive(identity), graceMs);
    return;
  }
  try { process.kill(identity.pid, 'SIGTERM'); } catch { return; }
  const until = Date.now() + graceMs;
  while (isAlive(identity) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  try { process.kill(identity.pid, 'SIGKILL'); } catch { /* gone */ }
}
