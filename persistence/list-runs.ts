import { isDatabaseUrl } from './database-url.ts';
import type { RunSummary } from './port.ts';
import { listSummaries } from './run-summaries.ts';

/**
 * `list`'s rows from the registry at `location` (a folder, or a `postgres://` URL). A directory
 * registry's come straight from its runs and its list cache, as `DirectoryRegistry.listRuns` gives
 * them, without loading the rest of the registry's code and its record schemas (a listing from the
 * cache needs neither); a database registry is opened as for any other command.
 */
export async function listRunsAt(location: string, query: { state?: string; limit?: number }): Promise<RunSummary[]> {
  if (isDatabaseUrl(location)) {
    const { openRegistry } = await import('./open-registry.ts');
    const registry = await openRegistry(location);
    try {
      return await registry.listRuns(query);
    } finally {
      await registry.close();
    }
  }
  return listSummaries(location, query);
}
