import { existsSync, lstatSync, statSync, type Stats } from 'node:fs';
import { runLayout, runsDir } from './layout.ts';
import { entryOf, QUARANTINED_ROW, readListCache, startListCache, summaryOf, type CacheEntry } from './list-cache.ts';
import type { RunSummary } from './port.ts';
import { ensureRegistryRoot } from './registry-root.ts';
import { listRunIdsSync } from './run-ids.ts';

/**
 * Every run of a directory registry as `list` shows it, newest update first, read from each run's
 * snapshot alone (its journal only when the snapshot is missing).
 *
 * A run whose snapshot is still the very file the registry's list cache read (same inode, size and
 * times) is shown from the cache; every other run is read, and the cache rewritten when it changed.
 * Without a cache that can be written (a read-only registry) and with `limit`, runs are read newest
 * first by their snapshot file's time, only as many as the listing needs.
 */
export async function listSummaries(root: string, query: { state?: string; limit?: number }): Promise<RunSummary[]> {
  const ids = listRunIdsSync(root);
  if (ids.length === 0) return [];
  const cached = readListCache(root);
  const runs = runsDir(root);
  const rows: RunSummary[] = [];
  const kept: number[] = [];
  const misses: Miss[] = [];
  // Sync calls on purpose: for thousands of small files the promise API's threadpool round trips
  // cost several times more than the calls themselves. Paths are joined by hand: runLayout's
  // dozen joins per run cost more than the stat.
  for (const id of ids) {
    // The quarantine marker is checked for every run, cached or not: it sets the run aside whatever its snapshot says.
    if (existsSync(`${runs}/${id}/quarantine.json`)) {
      rows.push(summaryOf(id, QUARANTINED_ROW));
      continue;
    }
    const info = lstatSync(`${runs}/${id}/snapshot.json`, { throwIfNoEntry: false });
    const at = info !== undefined && info.isFile() ? cached.find(id, info) : -1;
    if (at !== -1) {
      rows.push(cached.summaryAt(at));
      kept.push(at);
    } else {
      misses.push({ id, info });
    }
  }

  // A new cache is started before any run is read for it (its start time bounds what it may hold),
  // and only when it would differ: a run that may be cached, or a cached run gone or changed.
  const mayCache = misses.some((m) => m.info?.isFile()) || kept.length !== cached.size;
  const writer = mayCache ? await startCache(root) : null;
  const fresh: Array<[string, CacheEntry]> = [];
  const readAll = writer !== null || query.limit === undefined;
  let wanted = 0;
  // Loaded only when a run must be read: its record schemas cost more to load than a cached listing.
  const reader = misses.length > 0 ? await import('./run-summary-read.ts') : null;
  try {
    for (const miss of readAll ? misses : newestFirst(root, misses)) {
      if (!readAll && wanted >= query.limit!) break;
      const { row, identity } = await reader!.readRunSummary(root, miss.id, miss.info);
      rows.push(row);
      if (query.state === undefined || row.state === query.state) wanted++;
      if (writer !== null && identity !== null && identity[3] < writer.since) fresh.push([row.run_id, entryOf(identity, row)]);
    }
  } catch (error) {
    // No temp file is left behind by a listing that fails.
    writer?.abandon();
    throw error;
  }
  if (writer !== null) {
    if (fresh.length > 0 || kept.length !== cached.size) writer.commit([...kept.map((at): [string, CacheEntry] => [cached.idAt(at), cached.entryAt(at)]), ...fresh]);
    else writer.abandon();
  }

  const shown = query.state === undefined ? rows : rows.filter((r) => r.state === query.state);
  shown.sort(newestUpdateFirst);
  return query.limit === undefined ? shown : shown.slice(0, query.limit);
}

interface Miss {
  id: string;
  /** The snapshot's lstat when the run was looked at (undefined: none). */
  info: Stats | undefined;
}

// Plain comparison, not localeCompare: ISO times sort by their code points, at a fraction of the cost.
function newestUpdateFirst(a: RunSummary, b: RunSummary): number {
  const x = a.updated_at ?? '';
  const y = b.updated_at ?? '';
  if (x !== y) return x < y ? 1 : -1;
  return a.run_id < b.run_id ? -1 : a.run_id > b.run_id ? 1 : 0;
}

async function startCache(root: string) {
  // The registry's .gitignore first, as every writer of the registry does: a registry inside a
  // workspace must never show a new file to git.
  try {
    await ensureRegistryRoot(root);
  } catch {
    return null;
  }
  return startListCache(root);
}

/** Runs by the time of their latest snapshot (their record, when not yet driven), newest first. */
function newestFirst(root: string, misses: Miss[]): Miss[] {
  const time = (m: Miss) => m.info?.mtimeMs ?? statSync(runLayout(root, m.id).meta, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const times = new Map(misses.map((m) => [m.id, time(m)]));
  return [...misses].sort((a, b) => times.get(b.id)! - times.get(a.id)! || (a.id < b.id ? -1 : 1));
}
