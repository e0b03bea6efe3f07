import type { AnyMachineSnapshot } from 'xstate';
import type { Journal, JournalDraft } from '../persistence/journal.ts';
import type { JournalEntry } from '../persistence/records.ts';
import { SCHEMA_VERSION } from '../persistence/records.ts';
import type { SnapshotStore } from '../persistence/snapshot-store.ts';
import { statePath, topState } from './state-path.ts';

/**
 * Makes a run's history durable: journal drafts are appended (one write, one fdatasync per
 * batch) and then the snapshot taken at the same instant is saved with the journal's seq,
 * so the snapshot is never ahead of the journal. Once frozen, only the frozen snapshot is saved.
 */
export class RunRecorder {
  private readonly pending: JournalDraft[] = [];
  private dirty = false;
  private flushing: Promise<void> | null = null;
  private frozen: AnyMachineSnapshot | null = null;
  private closed = false;

  constructor(
    private readonly runId: string,
    private readonly journal: Journal,
    private readonly store: SnapshotStore,
    private readonly liveSnapshot: () => AnyMachineSnapshot,
    private readonly onEntry?: (entry: JournalEntry) => void,
  ) {}

  /** Queues a journal entry; it is durable once the next flush completes. */
  record(draft: JournalDraft): void {
    if (this.closed) return;
    this.pending.push(draft);
    this.schedule();
  }

  /** The run's snapshot changed: save it with the next flush. */
  touch(): void {
    if (this.closed || this.frozen) return;
    this.dirty = true;
    this.schedule();
  }

  /** From now on the run is persisted as of this snapshot (a deliberate stop). */
  freeze(snapshot: AnyMachineSnapshot): void {
    this.frozen = snapshot;
    this.dirty = true;
    this.schedule();
  }

  /** Resolves once everything recorded so far is durable. */
  async idle(): Promise<void> {
    while (this.flushing !== null) await this.flushing;
  }

  /** Flushes what is left and closes the journal. */
  async close(): Promise<void> {
    await this.idle();
    this.closed = true;
    await this.journal.close();
  }

  private schedule(): void {
    this.flushing ??= Promise.resolve()
      .then(() => this.flushLoop())
      .finally(() => { this.flushing = null; });
  }

  private async flushLoop(): Promise<void> {
    while (this.pending.length > 0 || this.dirty) {
      // Taken together, between macrosteps: the snapshot matches the entries before it.
      const batch = this.pending.splice(0);
      const snapshot = this.frozen ?? this.liveSnapshot();
      const saveSnapshot = this.dirty && snapshot.status !== 'error';
      this.dirty = false;
      const entries = await this.journal.append(batch, new Date());
      if (saveSnapshot) {
        await this.store.save({
          schema_version: SCHEMA_VERSION, run_id: this.runId, seq: this.journal.lastSeq,
          state: topState(statePath(snapshot.value)), updated_at: new Date().toISOString(), snapshot: snapshot as never,
        });
      }
      for (const entry of entries) this.onEntry?.(entry);
    }
  }
}
