import { RegistryCorruptError, RunLockedError, RunNotFoundError } from '../errors.ts';
import { findContradiction } from '../journal-rules.ts';
import type { JournalDraft } from '../journal.ts';
import type { JournalEntry, SnapshotEnvelope } from '../records.ts';
import type { RunSession } from '../port.ts';
import { inTransaction } from './connection.ts';
import { fencedStatement, type PgContext } from './fence.ts';
import { Ownership, type HolderRow } from './ownership.ts';
import { checkId, readJournal, readSnapshot, recordName } from './run-records.ts';
import { stateOfEntries, summaryOfSnapshot } from './summary.ts';

/**
 * Takes the run: one transaction locks its row, refuses a quarantined run or one a live holder has,
 * and otherwise makes this registry the owner at the next epoch (a dead holder's run is taken over;
 * every write of its old session is refused from then on). Then the run's history is read and checked.
 */
export async function openRunSession(ctx: PgContext, runId: string): Promise<RunSession> {
  checkId(runId);
  // One session per run in this registry: a second one (opened now, or opening) is refused like any other holder.
  if (ctx.held.has(runId) || ctx.opening.has(runId)) throw new RunLockedError(runId, process.pid, ctx.owner.hostId);
  ctx.opening.add(runId);
  try {
    return await takeAndRead(ctx, runId);
  } finally {
    ctx.opening.delete(runId);
  }
}

async function takeAndRead(ctx: PgContext, runId: string): Promise<RunSession> {
  const ownerId = await ctx.owner.id();
  const epoch = await inTransaction(ctx.pool, async (client) => {
    const found = await client.query<HolderRow & { quarantined: boolean }>(
      `SELECT r.quarantined, ${Ownership.holderColumns('$2')} FROM runs r LEFT JOIN hosts h ON h.id = r.owner_id WHERE r.run_id = $1 FOR UPDATE OF r`,
      [runId, ctx.owner.deadAfterMs],
    );
    const row = found.rows[0];
    if (row === undefined) throw new RunNotFoundError(runId, ctx.location);
    if (row.quarantined) {
      const record = await client.query<{ at: string; file: string; reason: string }>('SELECT at, file, reason FROM quarantine WHERE run_id = $1', [runId]);
      const q = record.rows[0] ?? { at: '', file: recordName(ctx.location, runId, 'quarantine'), reason: 'quarantined' };
      throw new RegistryCorruptError(q.file, `quarantined at ${q.at}: ${q.reason}`);
    }
    if (row.owner_id !== null && row.owner_id !== ownerId && ctx.owner.isLive(row)) throw new RunLockedError(runId, row.pid ?? -1, row.host_id ?? undefined);
    const taken = await client.query<{ owner_epoch: number }>(
      'UPDATE runs SET owner_id = $2, owner_epoch = owner_epoch + 1, queued_at = NULL WHERE run_id = $1 RETURNING owner_epoch',
      [runId, ownerId],
    );
    return taken.rows[0]!.owner_epoch;
  });
  ctx.held.set(runId, epoch);
  ctx.lost.delete(runId);
  try {
    const existing = await readJournal(ctx.pool, ctx.location, runId, 0, true);
    const snapshot = await readSnapshot(ctx.pool, ctx.location, runId);
    checkHistory(ctx.location, runId, snapshot, existing);
    return new PgRunSession(ctx, runId, epoch, existing, snapshot);
  } catch (error) {
    await letGo(ctx, runId, epoch);
    throw error;
  }
}

/** The checks that span records: the snapshot is the run's and not ahead of the journal, and the journal agrees with itself. */
function checkHistory(location: string, runId: string, snapshot: SnapshotEnvelope | null, entries: readonly JournalEntry[]): void {
  if (snapshot !== null && snapshot.run_id !== runId) throw new RegistryCorruptError(recordName(location, runId, 'snapshot'), `belongs to run ${snapshot.run_id}, not ${runId}`);
  if (snapshot !== null && snapshot.seq > entries.length) {
    throw new RegistryCorruptError(recordName(location, runId, 'journal'), `the snapshot records seq ${snapshot.seq} but the journal ends at ${entries.length}`);
  }
  const contradiction = findContradiction(entries);
  if (contradiction !== null) throw new RegistryCorruptError(recordName(location, runId, 'journal'), `the journal contradicts itself: ${contradiction}`);
}

/** Gives the run up if this owner still holds it at `epoch` (a run taken over meanwhile is left alone). */
async function letGo(ctx: PgContext, runId: string, epoch: number): Promise<void> {
  if (ctx.held.get(runId) === epoch) ctx.held.delete(runId);
  const ownerId = await ctx.owner.id();
  await ctx.pool.query('UPDATE runs SET owner_id = NULL WHERE run_id = $1 AND owner_epoch = $2 AND owner_id = $3', [runId, epoch, ownerId]);
}

class PgRunSession implements RunSession {
  private last: number;
  // Writes of one session go one at a time, in the order they were asked for (seq numbers follow).
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ctx: PgContext, readonly runId: string, private readonly epoch: number,
    readonly existing: readonly JournalEntry[], private saved: SnapshotEnvelope | null,
  ) {
    this.last = existing.length;
  }

  get snapshot(): SnapshotEnvelope | null {
    return this.saved;
  }

  get lastSeq(): number {
    return this.last;
  }

  append(drafts: JournalDraft[], now: Date): Promise<JournalEntry[]> {
    return this.serial(async () => {
      if (drafts.length === 0) return [];
      const at = now.toISOString();
      const first = this.last + 1;
      const entries = drafts.map((draft, i) => {
        // seq and at lead the entry, as in the journal file, and a draft cannot change them.
        const entry = { seq: first + i, at, ...draft } as Record<string, unknown>;
        entry.seq = first + i;
        entry.at = at;
        return entry as JournalEntry;
      });
      const moved = stateOfEntries(entries);
      // Before the first snapshot, a run transition moves the run's summary: that updates the row.
      // The NOTIFY is delivered on commit only: a refused append is never announced.
      await fencedStatement(this.ctx, this.runId, this.epoch, moved === null ? 'share' : 'update', `
        added AS (
          INSERT INTO journal (run_id, seq, type, entry)
          SELECT $1, t.seq, t.type, t.entry FROM unnest($4::int[], $5::text[], $6::json[]) AS t(seq, type, entry)
          WHERE EXISTS (SELECT 1 FROM fence) RETURNING seq),
        moved AS (
          UPDATE runs SET state = $7, updated_at = $8
          WHERE $7::text IS NOT NULL AND run_id = $1 AND EXISTS (SELECT 1 FROM added) AND NOT EXISTS (SELECT 1 FROM snapshots WHERE run_id = $1))
        SELECT EXISTS (SELECT 1 FROM added) AS landed, CASE WHEN EXISTS (SELECT 1 FROM added) THEN pg_notify($9, $10) END AS announced`,
      [
        entries.map((e) => e.seq), entries.map((e) => e.type), entries.map((e) => JSON.stringify(e)),
        moved?.state ?? null, moved?.updated_at ?? null, this.ctx.channels.journal, `${this.runId} ${first + entries.length - 1}`,
      ]);
      this.last += entries.length;
      return entries;
    });
  }

  saveSnapshot(envelope: SnapshotEnvelope): Promise<number> {
    return this.serial(async () => {
      const text = JSON.stringify(envelope);
      const summary = summaryOfSnapshot(envelope);
      await fencedStatement(this.ctx, this.runId, this.epoch, 'update', `
        saved AS (
          INSERT INTO snapshots (run_id, seq, envelope) SELECT $1, $4, $5::json WHERE EXISTS (SELECT 1 FROM fence)
          ON CONFLICT (run_id) DO UPDATE SET seq = EXCLUDED.seq, envelope = EXCLUDED.envelope RETURNING 1),
        summary AS (
          UPDATE runs SET state = $6, updated_at = $7, blocker = $8, cost_usd = $9 WHERE run_id = $1 AND EXISTS (SELECT 1 FROM saved))
        SELECT EXISTS (SELECT 1 FROM saved) AS landed`,
      [envelope.seq, text, summary.state, summary.updated_at, summary.blocker, summary.cost_usd]);
      this.saved = envelope;
      return Buffer.byteLength(text);
    });
  }

  async cancelReason(): Promise<string | null> {
    const found = await this.ctx.pool.query<{ reason: string }>('SELECT reason FROM cancel_requests WHERE run_id = $1', [this.runId]);
    return found.rows[0]?.reason ?? null;
  }

  release(): Promise<void> {
    return this.serial(() => letGo(this.ctx, this.runId, this.epoch));
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work);
    this.queue = next.catch(() => {});
    return next;
  }
}
