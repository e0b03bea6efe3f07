// What `status` reads of a run: its snapshot, the fold of its journal and its intake record,
// checked against each other. The directory registry reads them through status-cache.json.
import { RegistryCorruptError } from './errors.ts';
import { eachJournalEntry } from './journal.ts';
import { JournalFold } from './journal-fold.ts';
import { checkRecords } from './quarantine.ts';
import { readRecordBytes } from './record-read.ts';
import { parseRunMeta } from './registry.ts';
import { parseSnapshot } from './snapshot-file.ts';
import { readStatusCache, recordsLine, sha256, writeStatusCache } from './status-cache.ts';
import type { RunLayout } from './layout.ts';
import type { Registry, StatusRead } from './port.ts';
import type { RunMeta, SnapshotEnvelope } from './records.ts';
import { readLockHolder } from './run-lock.ts';
import { isAlive } from './process-identity.ts';

const drivenNow = async (lock: string) => {
  const holder = await readLockHolder(lock).catch(() => null);
  return holder !== null && holder.pid > 0 && isAlive(holder);
};

/** Through the port's own reads: for a registry that keeps nothing for status (PostgreSQL). */
export async function readForStatusThrough(
  registry: Pick<Registry, 'readSnapshot' | 'readJournal' | 'readMeta' | 'recordName'>, runId: string,
): Promise<StatusRead> {
  const snapshot = await registry.readSnapshot(runId);
  const fold = JournalFold.of(await registry.readJournal(runId));
  checkRecords({ snapshot: registry.recordName(runId, 'snapshot'), journal: registry.recordName(runId, 'journal') }, runId, snapshot, fold);
  return { snapshot, fold, meta: await registry.readMeta(runId), keep: () => {} };
}

/**
 * The directory registry's: the same reads in the same order, with the same errors, but a record
 * that is byte for byte what status-cache.json was made from is taken from it, and the journal is
 * folded on from its cached prefix. Only whole lines of the journal count: a live run appends as
 * it is read. `keep` writes the cache when a part of it changed; the caller calls it once the run
 * proved sound, so a damaged run's folder is left as it is.
 */
export async function readForStatusFromFiles(layout: RunLayout, runId: string): Promise<StatusRead> {
  const cache = readStatusCache(layout.dir);
  const checked = cache.records();

  // The snapshot first, then the journal: a live run's journal is never behind its snapshot.
  const snapshotBytes = readRecordBytes(layout.snapshot);
  const snapshotHash = snapshotBytes === null ? null : sha256(snapshotBytes);
  const snapshotKept = checked !== null && checked.snapshot.hash === snapshotHash;
  let snapshot: SnapshotEnvelope | null = null;
  if (snapshotBytes !== null) {
    snapshot = snapshotKept ? (checked.snapshot.value as SnapshotEnvelope) : await parseSnapshot(layout.snapshot, snapshotBytes.toString('utf8'));
  }

  const journal = readRecordBytes(layout.journal) ?? Buffer.alloc(0);
  const whole = journal.lastIndexOf(0x0a) + 1;
  const cached = cache.fold(journal, whole);
  const from = cached?.bytes ?? 0;
  const fold = cached?.fold ?? new JournalFold();
  // New lines are checked against their types' shapes, as resume and events check them: status
  // never calls a run sound that they would refuse (a run read before loads no schema).
  if (from < whole) await eachJournalEntry(layout.journal, journal.toString('utf8', from, whole), fold.seq, true, (entry) => fold.add(entry));
  // Half a line is an append under way while a driver holds the run; with none, it is what a
  // resume would refuse (a write cut short by a crash): the run is reported as it would be.
  if (whole < journal.length && !(await drivenNow(layout.lock))) {
    throw new RegistryCorruptError(layout.journal, `line ${fold.seq + 1} is not valid JSON`);
  }
  checkRecords({ snapshot: layout.snapshot, journal: layout.journal }, runId, snapshot, fold);

  const metaBytes = readRecordBytes(layout.meta);
  if (metaBytes === null) throw new RegistryCorruptError(layout.meta, 'missing');
  const metaHash = sha256(metaBytes);
  const metaKept = checked !== null && checked.meta.hash === metaHash;
  const meta = metaKept ? (checked.meta.value as RunMeta) : await parseRunMeta(layout.meta, metaBytes.toString('utf8'));

  // What is kept is taken now, as it was read: nothing the caller does to these values reaches it.
  const foldChanged = from < whole;
  const changed = foldChanged || !snapshotKept || !metaKept;
  const foldLine = changed && whole > 0 ? JSON.stringify(fold) : null;
  const records = changed ? { meta: metaHash, snapshot: snapshotHash, line: recordsLine(meta, snapshot) } : null;
  const keep = () => {
    if (!changed) return;
    writeStatusCache(layout.dir, foldLine === null ? null : { folded: journal.subarray(0, whole), line: foldLine }, records);
  };
  return { snapshot, fold, meta, keep };
}
