import { parseRecordQuickly, readRecordText } from './record-file.ts';
import { precheckSnapshot } from './record-prechecks.ts';
import type { SnapshotEnvelope } from './records.ts';

/** Reads a snapshot without opening it for writing (status); its schema is loaded only for a record the precheck is unsure of. */
export async function readSnapshot(path: string): Promise<SnapshotEnvelope | null> {
  const text = await readRecordText(path);
  return text === null ? null : parseRecordQuickly(path, text, precheckSnapshot, async () => (await import('./records.ts')).SnapshotEnvelopeSchema);
}
