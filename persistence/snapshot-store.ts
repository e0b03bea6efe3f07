import { Low, type Adapter } from 'lowdb';
import { writeFileDurable } from './durable-file.ts';
import { parseRecord, readRecordText } from './record-file.ts';
import { SnapshotEnvelopeSchema, type SnapshotEnvelope } from './records.ts';

/** lowdb adapter that validates on read and writes with fdatasync + rename (never a torn file). */
class DurableSnapshotFile implements Adapter<SnapshotEnvelope | null> {
  constructor(private readonly path: string) {}

  async read(): Promise<SnapshotEnvelope | null> {
    const text = await readRecordText(this.path);
    return text === null ? null : parseSnapshot(this.path, text);
  }

  lastBytes = 0;

  async write(data: SnapshotEnvelope | null): Promise<void> {
    if (data === null) return;
    const text = JSON.stringify(data);
    this.lastBytes = text.length;
    // No directory fsync: the snapshot is a cache the fsync'd journal brings forward, so a
    // rename lost to a power cut leaves an older snapshot, which resume already handles.
    await writeFileDurable(this.path, text, { syncDir: false });
  }
}

/** Parses snapshot.json text or throws RegistryCorruptError naming the file. */
export function parseSnapshot(path: string, text: string): SnapshotEnvelope {
  return parseRecord(path, text, SnapshotEnvelopeSchema);
}

/** The run's snapshot record, through lowdb with a durable adapter. */
export interface SnapshotStore {
  readonly current: SnapshotEnvelope | null;
  /** Saves durably; resolves to the record's size in bytes. */
  save(envelope: SnapshotEnvelope): Promise<number>;
}

/** Opens (and validates) a run's snapshot record. */
export async function openSnapshotStore(path: string): Promise<SnapshotStore> {
  const file = new DurableSnapshotFile(path);
  const db = new Low<SnapshotEnvelope | null>(file, null);
  await db.read();
  return {
    get current() {
      return db.data;
    },
    async save(envelope) {
      db.data = envelope;
      await db.write();
      return file.lastBytes;
    },
  };
}

export { readSnapshot } from './snapshot-file.ts';
