import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { hostName } from '../host.ts';
import { isAlive, selfIdentity } from '../process-identity.ts';

/** Who this registry user is, and how the fleet judges liveness. */
export interface OwnerOptions {
  /** The host's name in the fleet (`--host-id`); $BURAN_HOST_ID or the machine's host name by default. */
  hostId?: string;
  /** A holder whose heartbeat is older than this is dead (`fleet.dead_after_ms`). */
  deadAfterMs?: number;
  /** How often a holder beats; a fifth of deadAfterMs by default. */
  heartbeatMs?: number;
}

/** The holder of a run as openRun and claims see it, joined from `hosts`. */
export interface HolderRow {
  owner_id: number | null;
  host_id: string | null;
  pid: number | null;
  process_start: string | null;
  boot_id: string | null;
  stopped: boolean | null;
  stale: boolean | null;
}

export const DEFAULT_DEAD_AFTER_MS = 30_000;

// Processes on one machine (one boot of one kernel) can check each other's pids.
function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/**
 * This process as an owner of runs: a row of `hosts`, made on first need (a process that only reads
 * never appears), kept alive by a heartbeat while the registry is open, marked stopped by close().
 */
export class Ownership {
  readonly hostId: string;
  readonly deadAfterMs: number;
  readonly heartbeatMs: number;
  private readonly me = selfIdentity();
  private readonly boot = bootId();
  private registered: Promise<number> | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** When the last heartbeat reached the database (a runner stops its workers when this gets old). */
  lastBeatAt: Date | null = null;

  constructor(private readonly pool: pg.Pool, options: OwnerOptions = {}) {
    this.hostId = options.hostId ?? hostName();
    this.deadAfterMs = options.deadAfterMs ?? DEFAULT_DEAD_AFTER_MS;
    this.heartbeatMs = options.heartbeatMs ?? Math.max(50, Math.floor(this.deadAfterMs / 5));
  }

  /** This owner's id in `hosts` (registered now if need be). */
  id(): Promise<number> {
    this.registered ??= this.register().catch((error: unknown) => {
      this.registered = null;
      throw error;
    });
    return this.registered;
  }

  /** The id if registered already, without registering. */
  async idIfRegistered(): Promise<number | null> {
    return this.registered === null ? null : this.registered.catch(() => null);
  }

  private async register(): Promise<number> {
    const result = await this.pool.query<{ id: number }>(
      'INSERT INTO hosts (host_id, pid, process_start, boot_id) VALUES ($1, $2, $3, $4) RETURNING id',
      [this.hostId, this.me.pid, this.me.start, this.boot],
    );
    const id = result.rows[0]!.id;
    this.lastBeatAt = new Date();
    // Rows of owners gone for a day that hold no run are of no more use to anyone (best effort).
    await this.pool.query(
      `DELETE FROM hosts h WHERE coalesce(h.stopped_at, h.heartbeat_at) < clock_timestamp() - interval '1 day'
         AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.owner_id = h.id)`,
    ).catch(() => {});
    // Unref'd: a heartbeat never keeps a finished command alive.
    this.timer = setInterval(() => void this.beat(id), this.heartbeatMs);
    this.timer.unref();
    return id;
  }

  private async beat(id: number): Promise<void> {
    try {
      await this.pool.query('UPDATE hosts SET heartbeat_at = clock_timestamp() WHERE id = $1', [id]);
      this.lastBeatAt = new Date();
    } catch {
      // The database is out of reach: others will find this host dead after deadAfterMs, and every
      // write of its sessions is fenced; lastBeatAt tells a runner to stop its workers before then.
    }
  }

  /** SQL (with the parameter number of deadAfterMs) that reads a run's holder for isLive. */
  static holderColumns(deadAfterParam: string): string {
    return `r.owner_id, h.host_id, h.pid, h.process_start, h.boot_id, h.stopped_at IS NOT NULL AS stopped,
      h.heartbeat_at < clock_timestamp() - ${deadAfterParam} * interval '1 millisecond' AS stale`;
  }

  /**
   * A holder is alive while its row says it has not stopped and its heartbeat is recent. On this
   * machine a holder whose process is gone is dead at once (a crashed CLI's run is resumed without
   * waiting for the heartbeat to age).
   */
  isLive(holder: HolderRow): boolean {
    if (holder.owner_id === null || holder.host_id === null) return false;
    if (holder.stopped === true || holder.stale === true) return false;
    if (this.boot !== null && holder.boot_id === this.boot && holder.pid !== null) {
      return isAlive({ pid: holder.pid, start: holder.process_start });
    }
    return true;
  }

  /** Stops the heartbeat and marks this owner stopped: what it still held is free at once. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    const id = await this.idIfRegistered();
    if (id !== null) await this.pool.query('UPDATE hosts SET stopped_at = clock_timestamp() WHERE id = $1', [id]).catch(() => {});
  }
}
