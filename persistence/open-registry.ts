import { resolve } from 'node:path';
import type { Registry } from './port.ts';
import { DirectoryRegistry } from './directory-registry.ts';
import { RegistryUnusableError } from './errors.ts';

/**
 * The registry at a location: a folder (the directory registry, the default), or a
 * `postgres://…` URL (a registry shared by a fleet of hosts).
 */
export async function openRegistry(location: string): Promise<Registry> {
  if (isDatabaseUrl(location)) {
    throw new RegistryUnusableError(location.replace(/:[^:@/]*@/, ':…@'), 'this build has no PostgreSQL registry');
  }
  return new DirectoryRegistry(location);
}

/** A `postgres://` or `postgresql://` URL (a registry in a database), not a folder. */
export const isDatabaseUrl = (location: string): boolean => /^postgres(ql)?:\/\//i.test(location);

/**
 * Where this host keeps runs' worktrees, task files and logs: a directory registry's own folder;
 * for a database registry, $BURAN_WORK_ROOT (default ./.buran-work).
 */
export function workRootFor(location: string): string {
  return isDatabaseUrl(location) ? resolve(process.env.BURAN_WORK_ROOT || '.buran-work') : resolve(location);
}
