import type { Stats } from 'node:fs';
import { RegistryCorruptError } from './errors.ts';
import { readJournal } from './journal.ts';
import { readRecordFile } from './record-read.ts';
import { runLayout, runsDir, type RunLayout } from './layout.ts';
import { identityOf, QUARANTINED_ROW, summaryOf, type CachedRow, type FileIdentity } from './list-cache.ts';
import type { RunSummary } from './port.ts';
import { readRunMeta } from './registry.ts';
import { parseSnapshot } from './snapshot-store.ts';

/**
 * A run's summary read from its records, and the identity of the snapshot file it was read from
 * when that file's text alone made it (else null). `seen` is the snapshot's lstat taken just before,
 * if any: a snapshot that is no regular file is never opened.
 */
export async function readRunSummary(root: string, runId: string, seen: Stats | undefined): Promise<{ row: RunSummary; identity: FileIdentity | null }> {
  // One path, not runLayout's dozen joins: a first listing reads every run of the registry.
  const snapshot = `${runsDir(root)}/${runId}/snapshot.json`;
  try {
    if (seen !== undefined && !seen.isFile()) throw new RegistryCorruptError(snapshot, 'not a regular file');
    const read = readSnapshotFile(snapshot);
    if (read === null) return { row: await unsnapshotted(runLayout(root, runId), runId), identity: null };
    let row: CachedRow;
    try {
      const envelope = parseSnapshot(snapshot, read.text);
      const context = envelope.snapshot.context as { blocker?: { code: string } | null; cost_usd?: number };
      row = { state: envelope.state, updated_at: envelope.updated_at, blocker: context.blocker?.code ?? null, cost_usd: context.cost_usd ?? 0 };
    } catch (error) {
      if (!(error instanceof RegistryCorruptError)) throw error;
      // Damaged text stays damaged while the file stays the same: cached like any other row.
      row = QUARANTINED_ROW;
    }
    return { row: summaryOf(runId, row), identity: read.identity };
  } catch (error) {
    // A damaged run is listed as such and does not stop the listing.
    if (!(error instanceof RegistryCorruptError)) throw error;
    return { row: summaryOf(runId, QUARANTINED_ROW), identity: null };
  }
}

/**
 * No snapshot: the journal (read only then) says how far the run got, if it got anywhere; a run
 * recorded at intake and never driven has its record say when. Never cached: the journal grows in
 * place.
 */
async function unsnapshotted(layout: RunLayout, runId: string): Promise<RunSummary> {
  const entries = await readJournal(layout.journal);
  const last = [...entries].reverse().find((e) => e.type === 'run.transition' || e.type === 'run.created');
  if (last !== undefined) return { run_id: runId, state: last.to.split('.')[0]!, updated_at: last.at, blocker: null, cost_usd: 0, quarantined: false };
  return { run_id: runId, state: 'packet_received', updated_at: (await readRunMeta(layout)).created_at, blocker: null, cost_usd: 0, quarantined: false };
}

/**
 * The snapshot's text and the identity of the file it was read from, or null when there is none.
 * The identity is taken from the open file before its bytes are read: a file changed during the
 * read has an identity the cache never matches again. Anything but a regular file (a folder, a
 * FIFO that would block the read, a symlink) is a damaged record.
 */
function readSnapshotFile(path: string): { text: string; identity: FileIdentity } | null {
  try {
    const read = readRecordFile(path);
    return read === null ? null : { text: read.text, identity: identityOf(read.stats) };
  } catch (error) {
    if (error instanceof RegistryCorruptError) throw error;
    throw new RegistryCorruptError(path, `unreadable (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}
