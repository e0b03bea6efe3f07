import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { readIfExists } from './durable-file.ts';
import { RegistryCorruptError } from './errors.ts';
import { JournalFold } from './journal-fold.ts';
import type { JournalEntry, SnapshotEnvelope } from './records.ts';
import type { RunLayout } from './layout.ts';
import type { Registry } from './port.ts';

/** Why a run was quarantined, as recorded beside its untouched files. */
export interface QuarantineRecord {
  at: string;
  file: string;
  reason: string;
}

const markerPath = (layout: RunLayout) => join(layout.dir, 'quarantine.json');

/** Records the quarantine (once: an existing marker is kept) and leaves every other file as it is. */
export async function quarantineRun(layout: RunLayout, error: RegistryCorruptError): Promise<void> {
  let handle;
  try {
    handle = await open(markerPath(layout), 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return;
  }
  try {
    await handle.writeFile(JSON.stringify({ at: new Date().toISOString(), file: error.file, reason: error.message } satisfies QuarantineRecord, null, 2));
    await handle.sync();
    await handle.close();
  } catch (e) {
    // An empty marker (a full disk) would be read as a quarantine with no reason: none is left.
    await handle.close().catch(() => {});
    await unlink(markerPath(layout)).catch(() => {});
    throw e;
  }
}

/** The run's quarantine record, or null. */
export async function readQuarantine(layout: RunLayout): Promise<QuarantineRecord | null> {
  let text: string | null;
  try {
    text = await readIfExists(markerPath(layout));
  } catch {
    // Something is there (a folder, say) that cannot be read: the run is set aside all the same.
    return { at: '', file: markerPath(layout), reason: 'quarantined (marker unreadable)' };
  }
  if (text === null) return null;
  try {
    return JSON.parse(text) as QuarantineRecord;
  } catch {
    return { at: '', file: markerPath(layout), reason: 'quarantined (marker unreadable)' };
  }
}

/** Throws RegistryCorruptError when a quarantined run is opened again. */
export async function refuseIfQuarantined(layout: RunLayout): Promise<void> {
  const record = await readQuarantine(layout);
  if (record !== null) throw new RegistryCorruptError(record.file, `quarantined at ${record.at}: ${record.reason}`);
}

/** Throws RegistryCorruptError when the run was set aside (any registry). */
export async function refuseQuarantinedRun(registry: Pick<Registry, 'readQuarantine'>, runId: string): Promise<void> {
  const record = await registry.readQuarantine(runId);
  if (record !== null) throw new RegistryCorruptError(record.file, `quarantined at ${record.at}: ${record.reason}`);
}

/**
 * The checks that span records: the snapshot is the run's and not ahead of the journal, and the
 * journal agrees with itself (given as its entries, or their fold). `where` names the records in messages.
 */
export function checkRecords(
  where: { snapshot: string; journal: string }, runId: string, envelope: SnapshotEnvelope | null, journal: readonly JournalEntry[] | JournalFold,
): void {
  if (envelope !== null && envelope.run_id !== runId) {
    throw new RegistryCorruptError(where.snapshot, `belongs to run ${envelope.run_id}, not ${runId}`);
  }
  const fold = journal instanceof JournalFold ? journal : JournalFold.of(journal);
  if (envelope !== null && envelope.seq > fold.seq) {
    throw new RegistryCorruptError(where.journal, `the snapshot records seq ${envelope.seq} but the journal ends at ${fold.seq}`);
  }
  if (fold.contradiction !== null) throw new RegistryCorruptError(where.journal, `the journal contradicts itself: ${fold.contradiction}`);
}
