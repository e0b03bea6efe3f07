import { resolve } from 'node:path';
import type pg from 'pg';
import type { BatchProgress, BatchRecord } from '../batch-store.ts';
import type { CancelRequest } from '../cancel-request.ts';
import { RegistryUnusableError, type RegistryCorruptError } from '../errors.ts';
import { readForStatusThrough } from '../status-read.ts';
import type { HolderIsLive, Lease, LeaseClaim, LeaseOutcome } from '../lease.ts';
import type { EffectKey, Registry, StatusRead, RunOwner, RunSession, RunSummary } from '../port.ts';
import type { QuarantineRecord } from '../quarantine.ts';
import type { JournalEntry, RunMeta, SnapshotEnvelope } from '../records.ts';
import * as batches from './batches.ts';
import { openPool, redactedLocation } from './connection.ts';
import { channelsFor, type Channels, type PgContext } from './fence.ts';
import * as queue from './fleet-queue.ts';
import * as leases from './leases.ts';
import { listen, type Listener } from './listen.ts';
import { migrate } from './migrate.ts';
import { Ownership, type OwnerOptions } from './ownership.ts';
import * as records from './run-records.ts';
import * as requests from './run-requests.ts';
import { openRunSession } from './session.ts';

export interface PgRegistryOptions extends OwnerOptions {
  /** Connections in the pool (8 by default). */
  poolSize?: number;
  /** Where this host keeps runs' workspaces, task files and logs ($BURAN_WORK_ROOT or ./.buran-work by default). */
  workRoot?: string;
}

/**
 * The registry in a PostgreSQL database (`--registry postgres://…`): the same port as the directory
 * registry, shared by every host of a fleet. Opening it applies pending schema migrations. Ownership
 * of a run is a row (owner and epoch) kept alive by this process's heartbeat; every write of a run's
 * driver is fenced by its epoch (fence.ts). Beyond the port: submit, claimNext and requeue for runner
 * hosts, and listen for live views.
 */
export class PgRegistry implements Registry {
  readonly kind = 'postgres' as const;
  readonly workRoot: string;
  private readonly ctx: PgContext;
  private closed = false;

  private constructor(private readonly url: string, readonly location: string, pool: pg.Pool, schema: string, options: PgRegistryOptions) {
    this.workRoot = resolve(options.workRoot ?? (process.env.BURAN_WORK_ROOT || '.buran-work'));
    this.ctx = { pool, location, owner: new Ownership(pool, options), held: new Map(), opening: new Set(), lost: new Set(), channels: channelsFor(schema) };
  }

  /** Connects, migrates the schema if need be (RegistrySchemaNewerError for a newer database), and returns the registry. */
  static async open(url: string, options: PgRegistryOptions = {}): Promise<PgRegistry> {
    const location = redactedLocation(url);
    const pool = await openPool(url, location, options.poolSize);
    let schema: string;
    try {
      await migrate(pool, location);
      schema = (await pool.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]!.schema;
    } catch (error) {
      await pool.end().catch(() => {});
      // The server refused what opening asks of it (no schema to create in, no right to): said as such, not as a bug.
      const code = (error as { code?: unknown }).code;
      if (!(error instanceof RegistryUnusableError) && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
        throw new RegistryUnusableError(location, `the database refused to set up the registry: ${(error as Error).message} (SQLSTATE ${code})`);
      }
      throw error;
    }
    return new PgRegistry(url, location, pool, schema, options);
  }

  /** The NOTIFY channels of this registry, for listen(). */
  get channels(): Channels {
    return this.ctx.channels;
  }

  /** This process in the fleet: its host id, and how it judges and shows liveness. */
  get owner(): Ownership {
    return this.ctx.owner;
  }

  createRun(meta: RunMeta, packet: Record<string, unknown>): Promise<void> {
    return records.insertRun(this.ctx.pool, meta, packet, 'direct');
  }

  async assertRun(runId: string): Promise<void> {
    await records.runRow(this.ctx.pool, this.location, runId, 'run_id');
  }

  readMeta(runId: string): Promise<RunMeta> {
    return records.readMeta(this.ctx.pool, this.location, runId);
  }

  readPacket(runId: string): Promise<Record<string, unknown>> {
    return records.readPacket(this.ctx.pool, this.location, runId);
  }

  listRuns(query?: { state?: string; limit?: number }): Promise<RunSummary[]> {
    return records.listRuns(this.ctx.pool, query);
  }

  runIds(): Promise<string[]> {
    return records.runIds(this.ctx.pool);
  }

  readSnapshot(runId: string): Promise<SnapshotEnvelope | null> {
    return records.readSnapshot(this.ctx.pool, this.location, runId);
  }

  readJournal(runId: string, options: { after?: number; whileWritten?: boolean } = {}): Promise<JournalEntry[]> {
    // Appends commit whole: a reader following a live run never sees half of one (whileWritten needs nothing).
    // Every entry against its type's shape, as the directory registry reads it.
    return records.readJournal(this.ctx.pool, this.location, runId, options.after ?? 0, true);
  }

  /** Read afresh each time: a database reads a run's rows without help. */
  readForStatus(runId: string): Promise<StatusRead> {
    return readForStatusThrough(this, runId);
  }

  openRun(runId: string): Promise<RunSession> {
    return openRunSession(this.ctx, runId);
  }

  /** The driving host as the database records it; a stopped holder, or one whose heartbeat is older than dead_after, holds nothing. */
  async readOwner(runId: string): Promise<RunOwner | null> {
    const holder = await records.holderOf(this.ctx.pool, this.location, runId, this.ctx.owner.deadAfterMs);
    if (holder === null || !this.ctx.owner.isLive(holder)) return null;
    return { host: holder.host_id!, pid: holder.pid ?? -1, start: holder.process_start };
  }

  recordName(runId: string, record: 'meta' | 'packet' | 'snapshot' | 'journal' | 'lock'): string {
    return records.recordName(this.location, runId, record === 'lock' ? 'owner' : record === 'meta' ? 'run' : record);
  }

  effectKeys(runId: string, prefix: string): Promise<EffectKey[]> {
    return requests.effectKeys(this.ctx, runId, prefix);
  }

  readEffect<T>(runId: string, key: EffectKey, accept: (value: unknown) => value is T, what: string): Promise<T | null> {
    return requests.readEffect(this.ctx, runId, key, accept, what);
  }

  writeEffect(runId: string, key: EffectKey, value: unknown): Promise<void> {
    return requests.writeEffect(this.ctx, runId, key, value);
  }

  removeEffect(runId: string, key: EffectKey): Promise<void> {
    return requests.removeEffect(this.ctx, runId, key);
  }

  requestCancel(runId: string, reason: string): Promise<void> {
    return requests.requestCancel(this.ctx, runId, reason);
  }

  readCancelRequest(runId: string): Promise<CancelRequest | null> {
    return requests.readCancelRequest(this.ctx.pool, runId);
  }

  linkRetry(fromRunId: string, toRunId: string): Promise<void> {
    return requests.linkRetry(this.ctx.pool, fromRunId, toRunId);
  }

  readRetries(runId: string): Promise<string[]> {
    return requests.readRetries(this.ctx.pool, runId);
  }

  quarantine(runId: string, error: RegistryCorruptError): Promise<void> {
    return requests.quarantine(this.ctx, runId, error);
  }

  readQuarantine(runId: string): Promise<QuarantineRecord | null> {
    return requests.readQuarantine(this.ctx.pool, runId);
  }

  acquireLeases(runId: string, claims: LeaseClaim[], ttlMs: number, now: Date, holderIsLive: HolderIsLive): Promise<LeaseOutcome> {
    return leases.acquireLeases(this.ctx, runId, claims, ttlMs, now, holderIsLive);
  }

  renewLeases(runId: string, ttlMs: number, now: Date): Promise<number> {
    return leases.renewLeases(this.ctx, runId, ttlMs, now);
  }

  releaseLeases(runId: string): Promise<number> {
    return leases.releaseLeases(this.ctx, runId);
  }

  leasesHeldBy(runId: string): Promise<Lease[]> {
    return leases.leasesHeldBy(this.ctx, runId);
  }

  allLeases(): Promise<Lease[]> {
    return leases.allLeases(this.ctx);
  }

  createBatch(record: BatchRecord, packets: Record<string, unknown>[]): Promise<void> {
    return batches.createBatch(this.ctx.pool, record, packets);
  }

  readBatch(batchId: string): Promise<{ record: BatchRecord; packets: Record<string, unknown>[] }> {
    return batches.readBatch(this.ctx.pool, this.location, batchId);
  }

  appendBatchProgress(batchId: string, progress: BatchProgress): Promise<void> {
    return batches.appendBatchProgress(this.ctx.pool, this.location, batchId, progress);
  }

  readBatchProgress(batchId: string): Promise<BatchProgress[]> {
    return batches.readBatchProgress(this.ctx.pool, batchId);
  }

  // --- runner hosts and live views (beyond the port) -------------------------------------------

  /** Records a run as queued for the runner hosts (`buran submit`). */
  submitRun(meta: RunMeta, packet: Record<string, unknown>): Promise<void> {
    return queue.submitRun(this.ctx, meta, packet);
  }

  /** Claims the next queued run, or a dead host's run (see fleet-queue.ts); null when there is none. */
  claimNext(): Promise<queue.Claim | null> {
    return queue.claimNext(this.ctx);
  }

  /** Puts a run this registry drives back in the queue (a runner host stopping on SIGTERM). */
  requeue(runId: string): Promise<void> {
    return queue.requeue(this.ctx, runId);
  }

  /** Lets go of a claimed run this host could not drive (see fleet-queue.ts letGoOfClaim). */
  letGoOfClaim(runId: string): Promise<void> {
    return queue.letGoOfClaim(this.ctx, runId);
  }

  /** Queues again a submitted, unfinished run nobody holds (see fleet-queue.ts park). */
  park(runId: string, terminalStates: readonly string[]): Promise<boolean> {
    return queue.park(this.ctx, runId, terminalStates);
  }

  /** Follows NOTIFY channels (see `channels`) on a connection of its own. */
  listen(channels: readonly string[], onNotify: (channel: string, payload: string) => void, onError?: (error: Error) => void): Promise<Listener> {
    return listen(this.url, channels, onNotify, onError);
  }

  /** Ends the heartbeat (marking this owner stopped: what it still holds is free at once) and the pool. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.ctx.owner.stop();
    await this.ctx.pool.end();
  }
}
