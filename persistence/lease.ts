import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonDurable } from './durable-file.ts';
import { leasesDir } from './layout.ts';
import { withFileMutex } from './file-mutex.ts';
import { conflictsWith, type LeaseClaim } from './lease-resources.ts';
import { readRecordText } from './record-file.ts';
import { RegistryCorruptError, SharedRecordCorruptError } from './errors.ts';

export { conflictsWith, type LeaseClaim } from './lease-resources.ts';

/** One held claim: a resource, how it is held, by which run, until when. */
export interface Lease extends LeaseClaim {
  run_id: string;
  acquired_at: string;
  expires_at: string;
}

/** Decides whether a recorded holder still holds its claims (not expired, run not finished). */
export type HolderIsLive = (lease: Lease, now: Date) => Promise<boolean>;

export type LeaseOutcome =
  | { granted: true; leases: Lease[] }
  | { granted: false; holder: Lease; wanted: LeaseClaim };

// Every claim of every run sits in one small table, changed only under a registry-wide
// mutex: a run takes all its claims or none (no deadlock between two partial holders),
// and prefix conflicts between surfaces are checked against everything held at once.
// The table holds live claims only, so a change costs O(active claims), never O(runs).
const tablePath = (root: string) => join(leasesDir(root), 'table.json');
const mutexPath = (root: string) => join(leasesDir(root), 'table.lock');

const LEASE_TABLE_FIX = 'Inspect it: it lists every claim (resource, mode, run_id, acquired_at, expires_at). Once no run is driving, '
  + 'removing it drops every claim (runs take theirs again when they acquire them); a run stopped by this continues with "buran resume ID"';

const isLease = (v: unknown): v is Lease => {
  const l = v as Partial<Lease> | null;
  return typeof l === 'object' && l !== null && typeof l.resource === 'string' && (l.mode === 'exclusive' || l.mode === 'shared')
    && typeof l.run_id === 'string' && typeof l.acquired_at === 'string' && typeof l.expires_at === 'string' && !Number.isNaN(Date.parse(l.expires_at));
};

/** The table, validated: a table that is not what this program writes is never read as "no claims" nor rewritten. */
async function readTable(root: string): Promise<Lease[]> {
  const path = tablePath(root);
  let text: string | null;
  try {
    text = await readRecordText(path);
  } catch (error) {
    if (error instanceof RegistryCorruptError) throw new SharedRecordCorruptError(path, error.message.slice(path.length + 2), LEASE_TABLE_FIX);
    throw error;
  }
  if (text === null) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SharedRecordCorruptError(path, `not valid JSON (${(error as Error).message})`, LEASE_TABLE_FIX);
  }
  const leases = (parsed as { leases?: unknown } | null)?.leases;
  if (!Array.isArray(leases)) throw new SharedRecordCorruptError(path, 'has no "leases" list', LEASE_TABLE_FIX);
  const bad = leases.findIndex((lease) => !isLease(lease));
  if (bad !== -1) throw new SharedRecordCorruptError(path, `leases[${bad}] is not a claim`, LEASE_TABLE_FIX);
  return leases as Lease[];
}

async function change<T>(root: string, edit: (leases: Lease[]) => Promise<{ leases: Lease[] | null; result: T }>): Promise<T> {
  await mkdir(leasesDir(root), { recursive: true });
  return withFileMutex(mutexPath(root), async () => {
    const { leases, result } = await edit(await readTable(root));
    if (leases !== null) await writeJsonDurable(tablePath(root), { leases });
    return result;
  });
}

/**
 * Takes every claim for the run, or none: the first conflicting live holder is returned.
 * Claims the run already holds are renewed; a dead holder's claims are dropped.
 */
export async function acquireLeases(
  root: string, runId: string, claims: LeaseClaim[], ttlMs: number, now: Date, holderIsLive: HolderIsLive,
): Promise<LeaseOutcome> {
  return change<LeaseOutcome>(root, async (table) => {
    const at = now.getTime();
    // Expired claims go by time alone; a holder's run records are read only when it is in the way.
    const others = table.filter((lease) => lease.run_id !== runId && Date.parse(lease.expires_at) > at);
    const liveness = new Map<string, boolean>();
    const isLive = async (lease: Lease) => {
      if (!liveness.has(lease.run_id)) liveness.set(lease.run_id, await holderIsLive(lease, now));
      return liveness.get(lease.run_id)!;
    };
    for (const wanted of claims) {
      for (const held of others) {
        if (conflictsWith(held, wanted) && (await isLive(held))) return { leases: null, result: { granted: false as const, holder: held, wanted } };
      }
    }
    const expires = new Date(at + ttlMs).toISOString();
    const mine = claims.map((claim) => ({ ...claim, run_id: runId, acquired_at: now.toISOString(), expires_at: expires }));
    const kept = others.filter((lease) => liveness.get(lease.run_id) !== false);
    return { leases: [...kept, ...mine], result: { granted: true as const, leases: mine } };
  });
}

/** Extends the run's claims by the TTL from now (while its driver is alive). */
export async function renewLeases(root: string, runId: string, ttlMs: number, now: Date): Promise<number> {
  return change(root, async (table) => {
    let renewed = 0;
    const expires = new Date(now.getTime() + ttlMs).toISOString();
    const leases = table.map((lease) => (lease.run_id === runId ? (renewed++, { ...lease, expires_at: expires }) : lease));
    return { leases: renewed > 0 ? leases : null, result: renewed };
  });
}

/** Gives up every claim of the run. */
export async function releaseLeases(root: string, runId: string): Promise<number> {
  return change(root, async (table) => {
    const kept = table.filter((lease) => lease.run_id !== runId);
    const dropped = table.length - kept.length;
    return { leases: dropped > 0 ? kept : null, result: dropped };
  });
}

/** Every claim a run holds (read-only; no mutex: the table is replaced atomically). */
export async function leasesHeldBy(root: string, runId: string): Promise<Lease[]> {
  return (await readTable(root)).filter((lease) => lease.run_id === runId);
}

/** Every claim held, by any run. */
export async function allLeases(root: string): Promise<Lease[]> {
  return readTable(root);
}
