import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readCacheFile, startCacheFile } from './cache-file.ts';
import { JournalFold } from './journal-fold.ts';
import { eachJournalEntry, lineRules } from './journal.ts';
import { readRecordBytes } from './record-read.ts';
import type { RunLayout } from './layout.ts';
import type { FoldedJournal } from './port.ts';

/**
 * `status-cache.json` in a run's folder: the fold of the run's journal (see journal-fold.ts) up to
 * a byte length, beside the hash of exactly those bytes. Only ever a cache: it is used only while
 * the journal still begins with those very bytes, so an append is read on from where it ends and a
 * journal rewritten in any way (the same length included) is read whole again; a damaged, foreign,
 * linked or unreadable cache is ignored and rebuilt; deleting it costs one slower `status`.
 */
export const STATUS_CACHE_FILE = 'status-cache.json';

const FORMAT = 'buran status cache';

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

// A fold kept by a build that reads lines or folds them otherwise is not this build's: the key
// holds the code of both (the fold class's source text and the journal's line rules).
let foldCode: string | undefined;
const foldCodeHash = () => (foldCode ??= sha256(`${FORMAT}\n${JournalFold.toString()}\n${lineRules()}`));

/** The header line of the cache: what the fold on its second line was made from. */
interface Header {
  format: string;
  code: string;
  /** The journal's first `bytes` bytes, whole lines, hash `journal`, were folded. */
  bytes: number;
  journal: string;
  /** The hash of the fold's line, so a damaged cache is never read as a fold. */
  fold: string;
}

/**
 * The fold of the journal's whole lines (a line being appended is not read yet): from the cache
 * while it describes the journal's first bytes, folding on only what came after them. A damaged
 * journal is RegistryCorruptError, as readJournal says it. `keep` writes the cache when lines were
 * folded beyond it, where the run folder takes a new file (a read-only registry keeps none): the
 * reader calls it once the run's records proved sound, so a damaged run's folder is left as it is.
 */
export async function foldJournalCached(layout: RunLayout): Promise<FoldedJournal> {
  const bytes = readRecordBytes(layout.journal);
  if (bytes === null) return { fold: new JournalFold(), keep: () => {} };
  const whole = bytes.lastIndexOf(0x0a) + 1;
  const cached = readCache(join(layout.dir, STATUS_CACHE_FILE), bytes, whole);
  const from = cached?.bytes ?? 0;
  const fold = cached?.fold ?? new JournalFold();
  if (from === whole) return { fold, keep: () => {} };
  await eachJournalEntry(layout.journal, bytes.toString('utf8', from, whole), fold.seq, false, (entry) => fold.add(entry));
  if (!fold.keepable) return { fold, keep: () => {} };
  // What is kept is the fold as it is now: a reader that goes on to change it keeps nothing wrong.
  const line = JSON.stringify(fold);
  return { fold, keep: () => writeCache(layout.dir, bytes.subarray(0, whole), line) };
}

function readCache(path: string, journal: Buffer, whole: number): { bytes: number; fold: JournalFold } | null {
  const file = readCacheFile(path);
  if (file === null) return null;
  try {
    const split = file.indexOf(0x0a);
    if (split === -1) return null;
    const header = JSON.parse(file.toString('utf8', 0, split)) as Partial<Header>;
    const { bytes } = header;
    if (header.format !== FORMAT || header.code !== foldCodeHash() || !Number.isSafeInteger(bytes)) return null;
    if (bytes! <= 0 || bytes! > whole || sha256(journal.subarray(0, bytes)) !== header.journal) return null;
    const foldLine = file.subarray(split + 1);
    if (sha256(foldLine) !== header.fold) return null;
    const fold = JournalFold.fromJSON(JSON.parse(foldLine.toString('utf8')));
    return fold === null ? null : { bytes: bytes!, fold };
  } catch {
    return null;
  }
}

function writeCache(dir: string, folded: Buffer, foldLine: string): void {
  if (folded.length === 0) return;
  const file = startCacheFile(dir, STATUS_CACHE_FILE);
  if (file === null) return;
  const header: Header = { format: FORMAT, code: foldCodeHash(), bytes: folded.length, journal: sha256(folded), fold: sha256(foldLine) };
  file.commit(`${JSON.stringify(header)}\n${foldLine}`);
}
