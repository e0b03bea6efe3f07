import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { findProcessByEnv, findProcessesByEnv, isAlive, type ProcessIdentity } from '../persistence/process-identity.ts';
import type { RunLayout } from '../persistence/layout.ts';
import { readOwnJson } from './json-file.ts';
import { stopGroup } from './process-group.ts';

/**
 * Stops every process group a run's workers and verification commands may have left running
 * (recorded pids, and any process whose environment names this run). Returns the pids stopped.
 */
export async function stopRunProcesses(layout: RunLayout, runId: string, graceMs: number): Promise<number[]> {
  const found = new Map<number, ProcessIdentity>();
  for (const file of await recordedProcessFiles(layout)) {
    const process = await recordedProcess(file);
    if (process !== null) found.set(process.pid, process);
  }
  // Every process naming the run, not only the first: one already found (a recorded worker) must
  // not hide the ones after it (what a verification command started in a session of its own).
  // Searched again after each round, since a process may start another while its group is stopped.
  for (let round = 0; round < 5; round++) {
    const fresh = findProcessesByEnv({ BURAN_RUN_ID: runId }).filter((p) => !found.has(p.pid));
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
  const unrecorded = findProcessByEnv({ BURAN_RUN_ID: runId });
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
  return files;
}
