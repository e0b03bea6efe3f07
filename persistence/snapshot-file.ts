import { parseRecordLoading, readRecordText } from './record-file.ts';
import type { SnapshotEnvelope } from './records.ts';

/** Reads a snapshot without opening it for writing (status); its schema is loaded when a snapshot is read. */
export async function readSnapshot(path: string): Promise<SnapshotEnvelope | null> {
  const text = await readRecordText(path);
  return text === null ? null : parseSnapshot(path, text);
}

/** A snapshot's text checked against its schema (loaded now); damaged is RegistryCorruptError naming `path`. */
export const parseSnapshot = (path: string, text: string): Promise<SnapshotEnvelope> =>
  parseRecordLoading(path, text, async () => (await import('./records.ts')).SnapshotEnvelopeSchema);
