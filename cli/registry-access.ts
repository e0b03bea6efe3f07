import type { Registry } from '../persistence/port.ts';
import { openRegistry } from '../persistence/open-registry.ts';
import { runLayout, type RunLayout } from '../persistence/layout.ts';
import { BatchNotFoundError, RegistryCorruptError, RunNotFoundError } from '../persistence/errors.ts';

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
