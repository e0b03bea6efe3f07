import { realpathSync } from 'node:fs';
import { hostName } from '../persistence/host.ts';

/**
 * The variables that name a run across every process on the machine: run ids are unique only
 * within a registry, so the registry's location (a folder's real path, a database URL without its
 * password) goes with them. Every process a run starts carries them; cancel and the end of a task
 * find escaped processes by them.
 */
export function runIdentity(registryId: string, runId: string): { BURAN_REGISTRY: string; BURAN_RUN_ID: string; BURAN_HOST: string } {
  let root = registryId;
  try { root = realpathSync(registryId); } catch { /* not a folder, or not there (yet): as given */ }
  // The host too: hosts of a fleet on one machine share a registry URL, and each finds only its own processes.
  return { BURAN_REGISTRY: root, BURAN_RUN_ID: runId, BURAN_HOST: hostName() };
}

const PASSED_THROUGH = ['PATH', 'HOME', 'USER', 'SHELL', 'TERM', 'TMPDIR', 'LANG'];

/** CONTRACT 4's environment: the allowlist, LC_*, the worker's own names, then Buran's variables. */
export function buildChildEnv(
  source: NodeJS.ProcessEnv, extraNames: readonly string[], buranVars: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined) continue;
    if (PASSED_THROUGH.includes(name) || name.startsWith('LC_') || extraNames.includes(name)) env[name] = value;
  }
  return { ...env, ...buranVars };
}
