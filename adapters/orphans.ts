import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { findProcessByEnv, isAlive, type ProcessIdentity } from '../persistence/process-identity.ts';
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
    const record = await readOwnJson<{ process?: ProcessIdentity | null }>(file);
    if (record?.process && isAlive(record.process)) found.set(record.process.pid, record.process);
  }
  for (let live = findProcessByEnv({ BURAN_RUN_ID: runId }); live !== null && !found.has(live.pid); live = findProcessByEnv({ BURAN_RUN_ID: runId })) {
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
