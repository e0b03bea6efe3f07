import { createHash } from 'node:crypto';
import { mkdir, open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { readIfExists, writeJsonDurable } from './durable-file.ts';
import { leasesDir } from './layout.ts';

/** A lease record: one holder per workspace until it expires or its run ends. */
export interface Lease {
  resource: string;
  run_id: string;
  acquired_at: string;
  expires_at: string;
}

/** Decides whether a recorded holder still holds the resource. */
export type HolderIsLive = (lease: Lease, now: Date) => Promise<boolean>;

const leasePath = (root: string, resource: string) =>
  join(leasesDir(root), `${createHash('sha256').update(resource).digest('hex').slice(0, 32)}.json`);

/** Takes (or renews) the lease on a resource for a run; returns the live holder on conflict. */
export async function acquireLease(
  root: string, resource: string, runId: string, ttlMs: number, now: Date, holderIsLive: HolderIsLive,
): Promise<{ granted: true; lease: Lease } | { granted: false; holder: Lease }> {
  await mkdir(leasesDir(root), { recursive: true });
  const path = leasePath(root, resource);
  const lease: Lease = {
    resource, run_id: runId, acquired_at: now.toISOString(), expires_at: new Date(now.getTime() + ttlMs).toISOString(),
  };
  const existing = await readLease(path);
  if (existing && existing.run_id !== runId && (await holderIsLive(existing, now))) return { granted: false, holder: existing };
  if (existing === null) {
    try {
      const handle = await open(path, 'wx');
      await handle.close();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const raced = await readLease(path);
      if (raced && raced.run_id !== runId && (await holderIsLive(raced, now))) return { granted: false, holder: raced };
    }
  }
  await writeJsonDurable(path, lease);
  return { granted: true, lease };
}

/** Gives the lease up if this run holds it. */
export async function releaseLease(root: string, resource: string, runId: string): Promise<void> {
  const path = leasePath(root, resource);
  const existing = await readLease(path);
  if (existing?.run_id === runId) await unlink(path).catch(() => {});
}

async function readLease(path: string): Promise<Lease | null> {
  const text = await readIfExists(path);
  if (text === null || text === '') return null;
  try {
    return JSON.parse(text) as Lease;
  } catch {
    return null;
  }
}

/** Every lease a run holds. */
export async function leasesHeldBy(root: string, runId: string): Promise<Array<{ path: string; lease: Lease }>> {
  const names = await readdir(leasesDir(root)).catch(() => [] as string[]);
  const held: Array<{ path: string; lease: Lease }> = [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const path = join(leasesDir(root), name);
    const lease = await readLease(path);
    if (lease?.run_id === runId) held.push({ path, lease });
  }
  return held;
}

/** Removes one lease file, if it still names this run. */
export async function dropLease(path: string, runId: string): Promise<void> {
  const lease = await readLease(path);
  if (lease?.run_id === runId) await unlink(path).catch(() => {});
}
