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
  const identity = runIdentity(dirname(dirname(layout.dir)), runId);
  const found = new Map<number, ProcessIdentity>();
  for (const file of await recordedProcessFiles(layout)) {
    const record = await readOwnJson<{ process?: ProcessIdentity | null }>(file);
    if (record?.process && isAlive(record.process)) found.set(record.process.pid, record.process);
  }
  for (let live = findProcessByEnv(identity); live !== null && !found.has(live.pid); live = findProcessByEnv(identity)) {
    found.set(live.pid, live);
    await stopGroup(live.pid, () => !isAlive(live!), graceMs);
  }
  for (const identity of found.values()) await stopGroup(identity.pid, () => !isAlive(identity), graceMs);
  return [...found.keys()];
}

async function recordedProcessFiles(layout: RunLayout): Promise<string[]> {
  const files: string[] = [];
  for (const [dir, name] of [[join(layout.dir, 'tasks'), 'dispatch.json'], [join(layout.dir, 'epochs'), 'running.json']] as const) {
    const entries = await readdir(dir).catch(() => [] as string[]);
    for (const entry of entries) files.push(join(dir, entry, name));
  }
  return files;
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
