import { parseRecordLoading, readRecordText } from './record-file.ts';
import type { SnapshotEnvelope } from './records.ts';

/** Reads a snapshot without opening it for writing (status); its schema is loaded when a snapshot is read. */
export async function readSnapshot(path: string): Promise<SnapshotEnvelope | null> {
  const text = await readRecordText(path);
  return text === null ? null : parseRecordLoading(path, text, async () => (await import('./records.ts')).SnapshotEnvelopeSchema);
}
