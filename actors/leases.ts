import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LeaseResult } from '../machines/run-machine.ts';
import { TERMINAL_STATES } from '../machines/states.ts';
import { acquireLeases, renewLeases, type Lease, type LeaseOutcome } from '../persistence/lease.ts';
import { claimsFor } from '../persistence/lease-resources.ts';
import { runLayout } from '../persistence/layout.ts';
import type { RunMeta } from '../persistence/records.ts';
import { readSnapshot } from '../persistence/snapshot-store.ts';

// The abort listener goes when the sleep ends: a long wait polls many times on one signal.
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

/** The claims a run's leases cover (CONTRACT 8; see persistence/lease-resources.ts). */
export function runClaims(meta: RunMeta) {
  return claimsFor({
    workspace: meta.workspace,
    repo: meta.repo,
    workspaceIsCheckout: meta.repo === null && existsSync(join(meta.workspace, '.git')),
    intendedBranch: meta.input.plan.intended_branch,
    conflictSurface: meta.input.plan.conflict_surface,
  });
}

/** One attempt at every lease of the run. */
export async function tryRunLeases(root: string, meta: RunMeta, now: Date): Promise<LeaseResult> {
  const outcome = await acquireLeases(root, meta.run_id, runClaims(meta), meta.config.lease.ttl_ms, now, (lease, at) => holderIsLive(root, lease, at));
  return asResult(outcome, now);
}

/** Retries every poll interval until the leases are granted or `until` (ms since epoch) passes. */
export async function awaitRunLeases(root: string, meta: RunMeta, until: number, signal: AbortSignal): Promise<LeaseResult> {
  for (;;) {
    const result = await tryRunLeases(root, meta, new Date());
    if (result.granted || Date.now() >= until || signal.aborted) return result;
    await sleep(Math.min(meta.config.lease.poll_ms, Math.max(0, until - Date.now())), signal);
  }
}

/**
 * Keeps the run's leases from expiring while this driver lives; returns the stop function. A
 * renewal that fails is reported (the next one, a third of the TTL later, tries again).
 */
export function keepLeasesRenewed(root: string, meta: RunMeta, onFailure: (message: string) => void): () => void {
  const every = Math.max(50, Math.floor(meta.config.lease.ttl_ms / 3));
  const renew = () => renewLeases(root, meta.run_id, meta.config.lease.ttl_ms, new Date())
    .catch((error: unknown) => onFailure(error instanceof Error ? error.message : String(error)));
  const timer = setInterval(() => { void renew(); }, every);
  timer.unref();
  return () => clearInterval(timer);
}

function asResult(outcome: LeaseOutcome, now: Date): LeaseResult {
  if (outcome.granted) return { granted: true };
  const { holder, wanted } = outcome;
  const what = holder.resource === wanted.resource ? holder.resource : `${holder.resource} (overlaps ${wanted.resource})`;
  return { granted: false, holder: holder.run_id, at: now.getTime(), message: `${what} is leased to run ${holder.run_id} until ${holder.expires_at}` };
}

// A holder holds until its lease expires or its run has ended (whichever is first).
async function holderIsLive(root: string, lease: Lease, now: Date): Promise<boolean> {
  if (Date.parse(lease.expires_at) <= now.getTime()) return false;
  try {
    const snapshot = await readSnapshot(runLayout(root, lease.run_id).snapshot);
    return !(snapshot !== null && TERMINAL_STATES.has(snapshot.state));
  } catch {
    return true;
  }
}
