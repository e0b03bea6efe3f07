import { resolve } from 'node:path';
import type { Registry } from './port.ts';
import { DirectoryRegistry } from './directory-registry.ts';
import { isDatabaseUrl } from './database-url.ts';

/**
 * The registry at a location: a folder (the directory registry, the default), or a
 * `postgres://…` URL (a registry shared by a fleet of hosts).
 */
export async function openRegistry(location: string, options: DatabaseOptions = {}): Promise<Registry> {
  if (isDatabaseUrl(location)) {
    // Loaded only for a database: a directory registry's commands never pay for the client.
    const { openPgRegistry } = await import('./pg/index.ts');
    return openPgRegistry(location, { workRoot: workRootFor(location), ...options });
  }
  return new DirectoryRegistry(location);
}

/** How this process takes part in a shared registry (`buran worker` sets them; other commands take the defaults). */
export interface DatabaseOptions {
  hostId?: string;
  deadAfterMs?: number;
}

/** A database URL as messages show it: never its password (the same text as the registry's `location`). */
export { redactedLocation as redactedUrl } from './database-url.ts';

export { isDatabaseUrl } from './database-url.ts';

/**
 * Where this host keeps runs' worktrees, task files and logs: a directory registry's own folder;
 * for a database registry, $BURAN_WORK_ROOT (default ./.buran-work).
 */
export function workRootFor(location: string): string {
  return isDatabaseUrl(location) ? resolve(process.env.BURAN_WORK_ROOT || '.buran-work') : resolve(location);
}
