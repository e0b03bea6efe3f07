import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { BUILD_ID } from './build-id.ts';
import { readCacheFile, startCacheFile } from './cache-file.ts';
import { JournalFold } from './journal-fold.ts';
import { lineRules } from './journal.ts';

/**
 * `status-cache.json` in a run's folder: what `status` made of the run's records last time, each
 * part beside the hash of exactly the bytes it was made from, so it is used only for those very
 * bytes. Only ever a cache: a damaged, foreign, linked or unreadable one is ignored and rebuilt,
 * and deleting it costs one slower `status`.
 *
 * - The fold of the journal's first `bytes` bytes (see journal-fold.ts): status folds on from it
 *   over what was appended since; a journal rewritten in any way (the same length included) is
 *   read whole again.
 * - run.json and snapshot.json as this very build's schemas gave them (defaults filled in): the
 *   same bytes give the same value, so status need not load the schemas to check them again.
 */
export const STATUS_CACHE_FILE = 'status-cache.json';

// Version 2: the fold covers lines checked against their types' shapes (version 1 checked envelopes only).
const FORMAT = 'buran status cache 2';

/** sha256 in hex. */
export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

// A fold kept by a build that reads lines or folds them otherwise is not this build's: its key
// holds the code of both (the fold class's source text and the journal's line rules).
let foldCode: string | undefined;
const foldCodeHash = () => (foldCode ??= sha256(`${FORMAT}\n${JournalFold.toString()}\n${lineRules()}`));

/** Checked records as kept: each record's hash (null: there was none) and what the schemas gave for it. */
export interface CheckedRecords {
  meta: { hash: string; value: unknown };
  snapshot: { hash: string | null; value: unknown };
}

interface Header {
  format: string;
  fold: { code: string; bytes: number; journal: string; line: string } | null;
  records: { build: string; meta: string; snapshot: string | null; line: string } | null;
}

/** The status cache of a run folder as read, each part checked when it is asked for. */
export interface StatusCache {
  /** The kept records that are this build's (each to be matched against its record's hash), or null. */
  records(): CheckedRecords | null;
  /** The fold of the journal's first `bytes` bytes, when those bytes (of which the first `whole` are whole lines) hash as kept. */
  fold(journal: Buffer, whole: number): { bytes: number; fold: JournalFold } | null;
}

const NONE: StatusCache = { records: () => null, fold: () => null };

/** The cache in `dir`; a missing, damaged or foreign one holds nothing. */
export function readStatusCache(dir: string): StatusCache {
  const file = readCacheFile(join(dir, STATUS_CACHE_FILE));
  if (file === null) return NONE;
  const first = file.indexOf(0x0a);
  const second = first === -1 ? -1 : file.indexOf(0x0a, first + 1);
  if (second === -1) return NONE;
  let header: Partial<Header>;
  try {
    header = JSON.parse(file.toString('utf8', 0, first)) as Partial<Header>;
  } catch {
    return NONE;
  }
  if (typeof header !== 'object' || header === null || header.format !== FORMAT) return NONE;
  // A part's line is read only when its key matched, and only if it hashes as kept.
  const line = (from: number, to: number, hash: unknown): unknown => {
    const bytes = file.subarray(from, to);
    if (sha256(bytes) !== hash) return undefined;
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch {
      return undefined;
    }
  };
  return {
    records: () => recordsPart(header.records, () => line(second + 1, file.length, header.records?.line)),
    fold: (journal, whole) => foldPart(header.fold, journal, whole, () => line(first + 1, second, header.fold?.line)),
  };
}

function recordsPart(part: Header['records'] | undefined, line: () => unknown): CheckedRecords | null {
  if (BUILD_ID === null || typeof part !== 'object' || part === null || part.build !== BUILD_ID) return null;
  if (typeof part.meta !== 'string' || (part.snapshot !== null && typeof part.snapshot !== 'string')) return null;
  const values = line();
  if (typeof values !== 'object' || values === null || !('meta' in values) || !('snapshot' in values)) return null;
  return { meta: { hash: part.meta, value: values.meta }, snapshot: { hash: part.snapshot, value: values.snapshot } };
}

function foldPart(part: Header['fold'] | undefined, journal: Buffer, whole: number, line: () => unknown): { bytes: number; fold: JournalFold } | null {
  if (typeof part !== 'object' || part === null || part.code !== foldCodeHash()) return null;
  const { bytes } = part;
  if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes > whole || sha256(journal.subarray(0, bytes)) !== part.journal) return null;
  const fold = JournalFold.fromJSON(line());
  return fold === null ? null : { bytes, fold };
}

/** Records to keep: the hashes of run.json and snapshot.json (null: none) and the line of what the schemas gave for them. */
export interface KeptRecords {
  meta: string;
  snapshot: string | null;
  line: string;
}

/** The line kept for checked records (taken when they are read: later changes to the values are not kept). */
export const recordsLine = (meta: unknown, snapshot: unknown): string => JSON.stringify({ meta, snapshot });

/**
 * Writes the cache (a temp file renamed over it): the fold of the journal's first bytes (`folded`),
 * as its JSON line, and the checked records, either of them null (records are kept only by a build
 * with an id). A folder that takes no new file keeps none.
 */
export function writeStatusCache(dir: string, fold: { folded: Buffer; line: string } | null, records: KeptRecords | null): void {
  const kept = BUILD_ID === null ? null : records;
  if (fold === null && kept === null) return;
  const file = startCacheFile(dir, STATUS_CACHE_FILE);
  if (file === null) return;
  const foldLine = fold?.line ?? 'null';
  const keptLine = kept?.line ?? 'null';
  const header: Header = {
    format: FORMAT,
    fold: fold === null ? null : { code: foldCodeHash(), bytes: fold.folded.length, journal: sha256(fold.folded), line: sha256(foldLine) },
    records: kept === null ? null : { build: BUILD_ID!, meta: kept.meta, snapshot: kept.snapshot, line: sha256(keptLine) },
  };
  file.commit(`${JSON.stringify(header)}\n${foldLine}\n${keptLine}`);
}
