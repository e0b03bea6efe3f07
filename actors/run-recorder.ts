import type { AnyMachineSnapshot } from 'xstate';
import type { JournalDraft, JournalEntry } from '../persistence/journal-entries.ts';
import { SCHEMA_VERSION } from '../persistence/records.ts';
import type { RunSession } from '../persistence/port.ts';
import { statePath, topState } from './state-path.ts';
import { STATE_ENTRY_TYPES, sameStep } from '../persistence/journal-rules.ts';

/** What one flush cost: how many entries it appended, how big the snapshot was, how long it took. */
export interface FlushStats {
  seq: number;
  entries: number;
  snapshotBytes: number;
  ms: number;
}

/**
 * Makes a run's history durable: journal drafts are appended (one write, one fdatasync per
 * batch) and then the snapshot taken at the same instant is saved with the journal's seq,
 * so the snapshot is never ahead of the journal. Once frozen, only the frozen snapshot is saved.
 *
 * A snapshot behind the journal (the driver died between the two writes) is brought forward
 * by replay: the restored run re-executes, its effects return their recorded results, and
 * each state step it takes is matched against the journal's tail instead of appended again.
 * A step the tail does not have is a journal that contradicts the run: nothing more is written.
 */
export class RunRecorder {
  private readonly pending: JournalDraft[] = [];
  private dirty = false;
  private flushing: Promise<void> | null = null;
  private frozen: AnyMachineSnapshot | null = null;
  private closed = false;
  private readonly tail: JournalEntry[];
  /** The seq of the last journal entry the live snapshot accounts for. */
  private accounted: number;
  /** Set when replay met a step the journal does not have. */
  contradiction: string | null = null;
  /** Set when a flush could not be written (a full disk): nothing more is recorded. */
  failure: unknown = null;

  constructor(
    private readonly runId: string,
    /** The run's single-writer session in the registry: journal appends, then snapshot saves. */
    private readonly session: Pick<RunSession, 'existing' | 'lastSeq' | 'append' | 'saveSnapshot'>,
    private readonly liveSnapshot: () => AnyMachineSnapshot,
    snapshotSeq: number,
    private readonly onEntry?: (entry: JournalEntry) => void,
    private readonly onFlush?: (stats: FlushStats) => void,
    /** A flush failed: the driver must stop, since nothing it does from now on can be recorded. */
    private readonly onFailure?: (error: unknown) => void,
  ) {
    this.accounted = snapshotSeq;
    this.tail = session.existing.filter((e) => e.seq > snapshotSeq && STATE_ENTRY_TYPES.has(e.type));
  }

  /** True while the run is re-executing steps the journal already holds. */
  get replaying(): boolean {
    return this.tail.length > 0;
  }

  private caughtUp: Array<() => void> = [];

  /** Calls `fn` once the run has re-executed every step the journal holds (at once if it has). */
  whenCaughtUp(fn: () => void): void {
    if (this.tail.length === 0) fn();
    else this.caughtUp.push(fn);
  }

  /** Queues a journal entry (durable once the next flush completes); false if replay matched it. */
  record(draft: JournalDraft): boolean {
    if (this.closed || this.contradiction !== null) return false;
    if (this.tail.length > 0 && STATE_ENTRY_TYPES.has(draft.type)) {
      const expected = this.tail.shift()!;
      if (!sameStep(expected, draft)) {
        this.contradiction = `journal seq ${expected.seq} records ${describe(expected)}, but the run replayed ${describe(draft)}`;
        this.closed = true;
        return false;
      }
      this.accounted = expected.seq;
      this.dirty = this.frozen === null;
      this.schedule();
      if (this.tail.length === 0) for (const fn of this.caughtUp.splice(0)) fn();
      return false;
    }
    this.pending.push(draft);
    this.schedule();
    return true;
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

  /** Flushes what is left; nothing is recorded after (the driver then releases the run's session). */
  async close(): Promise<void> {
    await this.idle();
    this.closed = true;
  }

  /** True once a flush has failed. */
  get failed(): boolean {
    return this.failure !== null;
  }


  private schedule(): void {
    if (this.closed) return;
    this.flushing ??= Promise.resolve()
      .then(() => this.flushLoop())
      .catch((error: unknown) => {
        // The journal append undid itself; whatever was queued is not recorded, and nothing after it will be.
        this.failure ??= error;
        this.closed = true;
        this.onFailure?.(error);
      })
      .finally(() => { this.flushing = null; });
  }

  private async flushLoop(): Promise<void> {
    while (!this.closed && (this.pending.length > 0 || this.dirty)) {
      // Taken together, between macrosteps: the snapshot matches the entries before it.
      const started = performance.now();
      const batch = this.pending.splice(0);
      const snapshot = this.frozen ?? this.liveSnapshot();
      // A snapshot the driver took after stopping the actor (a halt, an interrupt) says `stopped`
      // with its children gone: it is not the run's state, and saved it would restore a run that
      // can never move again. The last one saved stands.
      const saveSnapshot = this.dirty && snapshot.status !== 'error' && snapshot.status !== 'stopped';
      this.dirty = false;
      const entries = await this.session.append(batch, new Date());
      crashPoint('journal', this.session.lastSeq);
      // While replaying, the tail's unmatched steps are ahead of this snapshot: say so by seq.
      if (this.tail.length === 0) this.accounted = this.session.lastSeq;
      let bytes = 0;
      if (saveSnapshot) {
        bytes = await this.session.saveSnapshot({
          schema_version: SCHEMA_VERSION, run_id: this.runId, seq: this.accounted,
          state: topState(statePath(snapshot.value)), updated_at: new Date().toISOString(), snapshot: snapshot as never,
        });
        crashPoint('snapshot', this.session.lastSeq);
      }
      this.onFlush?.({ seq: this.session.lastSeq, entries: batch.length, snapshotBytes: bytes, ms: performance.now() - started });
      for (const entry of entries) this.onEntry?.(entry);
    }
  }
}

function describe(step: Record<string, unknown>): string {
  const who = step.task_id ? `task ${String(step.task_id)} ` : '';
  return `${String(step.type)} ${who}${String(step.from)} → ${String(step.to)}`;
}

// Fault injection for the crash tests (never set in use): BURAN_FAULT_KILL=journal:N kills
// this process with SIGKILL right after the journal write that reaches seq N, before the
// snapshot is saved; snapshot:N right after the snapshot save that follows it.
const FAULT = /^(journal|snapshot):(\d+)$/.exec(process.env.BURAN_FAULT_KILL ?? '');
function crashPoint(phase: 'journal' | 'snapshot', seq: number): void {
  if (FAULT && FAULT[1] === phase && seq >= Number(FAULT[2])) process.kill(process.pid, 'SIGKILL');
}
