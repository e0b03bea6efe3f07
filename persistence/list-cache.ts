import type { Stats } from 'node:fs';
import { readCacheFile, startCacheFile } from './cache-file.ts';
import { join } from 'node:path';
import type { RunSummary } from './port.ts';

/**
 * `list-cache.json` at the registry root: each run's `list` row beside the identity of the
 * snapshot file it was read from. Only ever a cache: a row is used only while the snapshot is
 * still that very file, a damaged or foreign cache is ignored (and rebuilt), and deleting it
 * costs one slower `list`. It is no record: nothing else reads it, and it never decides anything.
 */
export const LIST_CACHE_FILE = 'list-cache.json';

const FORMAT = 'buran list cache';
const VERSION = 1;

/** What proves a snapshot file unchanged: inode, size, and its modification and change times. */
export type FileIdentity = readonly [ino: number, size: number, mtimeMs: number, ctimeMs: number];

/** The identity of a file from its stat. */
export const identityOf = (info: Stats): FileIdentity => [info.ino, info.size, info.mtimeMs, info.ctimeMs];

/** A run's `list` row as cached (the state `quarantined` for a snapshot that failed validation). */
export interface CachedRow {
  state: string;
  updated_at: string | null;
  blocker: string | null;
  cost_usd: number;
}

/** The row of a run set aside (its quarantine marker, or a snapshot that failed validation). */
export const QUARANTINED_ROW: CachedRow = { state: 'quarantined', updated_at: null, blocker: 'registry_corrupt', cost_usd: 0 };

/** A run's summary from its row. */
export const summaryOf = (runId: string, row: CachedRow): RunSummary => ({
  run_id: runId, state: row.state, updated_at: row.updated_at, blocker: row.blocker, cost_usd: row.cost_usd, quarantined: row.state === 'quarantined',
});

/** One run in the cache: the snapshot's identity, then the row read from it. */
export type CacheEntry = readonly [...FileIdentity, state: string, updated_at: string | null, blocker: string | null, cost_usd: number];

/** An entry for a row read from a file of identity `id`. */
export const entryOf = (id: FileIdentity, row: CachedRow): CacheEntry => [...id, row.state, row.updated_at, row.blocker, row.cost_usd];

// On disk the entries are one flat array, `[id, ino, size, mtimeMs, ctimeMs, state, updated_at,
// blocker, cost_usd, id, …]`: half the parse time of an array per run, for 10,000 runs.
const WIDTH = 9;

/** The list cache as read: entries by run id, each checked against the snapshot before it is used. */
export class ListCache {
  private readonly at = new Map<string, number>();

  constructor(private readonly flat: readonly unknown[] = []) {
    for (let i = 0; i + WIDTH <= flat.length; i += WIDTH) if (typeof flat[i] === 'string') this.at.set(flat[i] as string, i);
  }

  /** How many runs it holds. */
  get size(): number {
    return this.at.size;
  }

  /**
   * Where run `id`'s entry is, when the cache read it from the very file `info` describes (the same
   * inode, size and times) and the entry is well formed; else -1. An offset, not a copy: 10,000
   * runs are looked up on every `list`.
   */
  find(id: string, info: Stats): number {
    const i = this.at.get(id);
    if (i === undefined) return -1;
    const f = this.flat;
    if (f[i + 1] !== info.ino || f[i + 2] !== info.size || f[i + 3] !== info.mtimeMs || f[i + 4] !== info.ctimeMs) return -1;
    const state = f[i + 5];
    const updatedAt = f[i + 6];
    const blocker = f[i + 7];
    const cost = f[i + 8];
    if (typeof state !== 'string' || (updatedAt !== null && typeof updatedAt !== 'string') || (blocker !== null && typeof blocker !== 'string')) return -1;
    return typeof cost === 'number' && Number.isFinite(cost) ? i : -1;
  }

  /** The run's summary from the entry `find` found at `i`. */
  summaryAt(i: number): RunSummary {
    const f = this.flat;
    const state = f[i + 5] as string;
    return { run_id: f[i] as string, state, updated_at: f[i + 6] as string | null, blocker: f[i + 7] as string | null, cost_usd: f[i + 8] as number, quarantined: state === 'quarantined' };
  }

  /** The run id of the entry at `i`. */
  idAt(i: number): string {
    return this.flat[i] as string;
  }

  /** The entry `find` found at `i`, as the cache holds it. */
  entryAt(i: number): CacheEntry {
    return this.flat.slice(i + 1, i + WIDTH) as unknown as CacheEntry;
  }
}

/**
 * The registry's list cache. A missing, unreadable, damaged or foreign file is an empty cache:
 * never an error.
 */
export function readListCache(root: string): ListCache {
  const bytes = readCacheFile(join(root, LIST_CACHE_FILE));
  let parsed: unknown;
  try {
    parsed = bytes === null ? null : JSON.parse(bytes.toString('utf8'));
  } catch {
    return new ListCache();
  }
  if (typeof parsed !== 'object' || parsed === null) return new ListCache();
  const { format, version, runs } = parsed as Record<string, unknown>;
  if (format !== FORMAT || version !== VERSION || !Array.isArray(runs)) return new ListCache();
  return new ListCache(runs);
}

/**
 * A new cache being written (see cache-file.ts). Its `since` is taken before any snapshot is read
 * for it: only a snapshot that last changed strictly before `since` may be cached (one changed in
 * the same clock tick as it was read could change again within that tick and keep its identity).
 */
export interface ListCacheWriter {
  readonly since: number;
  commit(entries: Iterable<[string, CacheEntry]>): void;
  abandon(): void;
}

/**
 * Starts a new cache, or returns null when the registry root takes no new file (read-only, full,
 * another user's): `list` then works without one.
 */
export function startListCache(root: string): ListCacheWriter | null {
  const file = startCacheFile(root, LIST_CACHE_FILE);
  if (file === null) return null;
  return {
    since: file.since,
    abandon: () => file.abandon(),
    commit(entries) {
      const runs: unknown[] = [];
      for (const [id, entry] of entries) runs.push(id, ...entry);
      file.commit(JSON.stringify({ format: FORMAT, version: VERSION, runs }));
    },
  };
}
