import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { runIdentity } from './worker-env.ts';
import { findProcessByEnv, findProcessesByEnv, isAlive, type ProcessIdentity } from '../persistence/process-identity.ts';
import type { RunLayout } from '../persistence/layout.ts';
import { readOwnJson } from './json-file.ts';
import { signalGroup, stopGroup } from './process-group.ts';

/**
 * Stops every process group a run's workers and verification commands may have left running
 * (recorded pids, and any process whose environment names this run). Returns the pids stopped.
 */
export async function stopRunProcesses(layout: RunLayout, runId: string, graceMs: number): Promise<number[]> {
  const identity = runIdentity(registryOf(layout), runId);
  const found = new Map<number, ProcessIdentity>();
  for (const file of await recordedProcessFiles(layout)) {
    const process = await recordedProcess(file);
    if (process !== null) found.set(process.pid, process);
  }
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
export async function liveRunProcesses(layout: RunLayout, runId: string): Promise<number[]> {
  const pids = new Set<number>();
  for (const file of await recordedProcessFiles(layout)) {
    const process = await recordedProcess(file);
    if (process !== null) pids.add(process.pid);
  }
  const unrecorded = findProcessByEnv(runIdentity(registryOf(layout), runId));
  if (unrecorded !== null) pids.add(unrecorded.pid);
  return [...pids];
}

// A recorded process without a start time cannot be told from one that reused its pid: it is
// never signalled on the record's word (the BURAN_RUN_ID search finds it if it is really ours).
async function recordedProcess(file: string): Promise<ProcessIdentity | null> {
  const record = await readOwnJson<{ process?: ProcessIdentity | null }>(file);
  const process = record?.process;
  return process && typeof process.pid === 'number' && process.pid > 0 && typeof process.start === 'string' && isAlive(process) ? process : null;
}

async function recordedProcessFiles(layout: RunLayout): Promise<string[]> {
  const files: string[] = [];
  for (const [dir, name] of [[join(layout.dir, 'tasks'), 'dispatch.json'], [join(layout.dir, 'epochs'), 'running.json']] as const) {
    const entries = await readdir(dir).catch(() => [] as string[]);
    for (const entry of entries) files.push(join(dir, entry, name));
  }
  files.push(join(layout.setupDir, 'running.json'));
  return files;
}

// A run's folder is <registry>/runs/<id>: run ids are unique only within their registry.
const registryOf = (layout: RunLayout) => dirname(dirname(layout.dir));

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
