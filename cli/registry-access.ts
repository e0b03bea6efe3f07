import { existsSync } from 'node:fs';
import type { Registry } from '../persistence/port.ts';
import { openRegistry } from '../persistence/open-registry.ts';
import { runLayout, type RunLayout } from '../persistence/layout.ts';
import { BatchNotFoundError, RegistryCorruptError, RunNotFoundError } from '../persistence/errors.ts';
import { hostName } from '../persistence/host.ts';
import { UsageError } from './errors.ts';

/** Opens the registry at `location` for one command and lets go of it after (a database pool). */
export async function withRegistry<T>(location: string, work: (registry: Registry) => Promise<T>): Promise<T> {
  const registry = await openRegistry(location);
  try {
    return await work(registry);
  } finally {
    await registry.close();
  }
}

/** The run's files on this host (task files, logs, the handoff's patch and summary). */
export const hostFiles = (registry: Registry, runId: string): RunLayout => runLayout(registry.workRoot, runId);

/** True when the registry holds the run (a damaged record still counts: the id is taken). */
export async function runExists(registry: Registry, runId: string): Promise<boolean> {
  try {
    await registry.assertRun(runId);
    return true;
  } catch (error) {
    if (error instanceof RunNotFoundError) return false;
    throw error;
  }
}

/** True when the registry holds the batch. */
export async function batchExists(registry: Registry, batchId: string): Promise<boolean> {
  try {
    await registry.readBatch(batchId);
    return true;
  } catch (error) {
    if (error instanceof BatchNotFoundError) return false;
    if (error instanceof RegistryCorruptError) return true;
    throw error;
  }
}

/**
 * A fleet's run keeps its logs, patch and summary on the disk of the runner host that drove it
 * (the last to claim it): read from another host they would look empty. Refused there, naming it.
 */
export async function refuseFilesOfAnotherHost(registry: Registry, runId: string, what: string): Promise<void> {
  if ((await registry.readMeta(runId)).runner !== true) return;
  const claims = (await registry.readJournal(runId)).filter((e) => e.type === 'fleet.claimed');
  const host = claims.at(-1)?.host;
  // Read here when they are here: the host's own shell may not carry the worker's --host-id.
  if (host === undefined || host === hostName() || existsSync(hostFiles(registry, runId).dir)) return;
  throw new UsageError(`run ${runId}'s ${what} are files on runner host ${host}, under its work root ($BURAN_WORK_ROOT there), not under ${registry.workRoot}: run this command on that host, with its BURAN_WORK_ROOT`);
}
