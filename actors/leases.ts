import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LeaseResult } from '../machines/run-machine.ts';
import { TERMINAL_STATES } from '../machines/states.ts';
import type { Lease, LeaseOutcome } from '../persistence/lease.ts';
import { claimsFor, type LeaseClaim, type WorkPlace } from '../persistence/lease-resources.ts';
import { fleetClaimsFor, repositoryIdentity } from '../persistence/repository-identity.ts';
import { hostName } from '../persistence/host.ts';
import { git } from '../adapters/git.ts';
import type { Registry } from '../persistence/port.ts';
import type { RunMeta } from '../persistence/records.ts';

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

function workPlace(meta: RunMeta): WorkPlace {
  return {
    workspace: meta.workspace,
    repo: meta.repo,
    workspaceIsCheckout: meta.repo === null && existsSync(join(meta.workspace, '.git')),
    intendedBranch: meta.input.plan.intended_branch,
    conflictSurface: meta.input.plan.conflict_surface,
  };
}

/** The claims a run's leases cover on one host (CONTRACT 8; see persistence/lease-resources.ts). */
export function runClaims(meta: RunMeta): LeaseClaim[] {
  return claimsFor(workPlace(meta));
}

/**
 * The claims of a run in a registry shared by hosts (CONTRACT 9): branch and surface claims keyed by
 * the repository's identity (its origin remote, else the packet's scm_target.repo), so runs of one
 * repository on two hosts take turns; workspace and checkout claims carry the host.
 */
export async function sharedRunClaims(meta: RunMeta): Promise<LeaseClaim[]> {
  const checkout = meta.repo ?? meta.workspace;
  const originUrl = await git(checkout, ['config', '--get', 'remote.origin.url']).catch(() => null);
  const repository = repositoryIdentity({ originUrl: originUrl?.trim() || null, scmRepo: meta.input.plan.repo || null, baseDir: checkout });
  return fleetClaimsFor(workPlace(meta), { hostId: hostName(), repository });
}

/** One attempt at every lease of the run. */
export async function tryRunLeases(registry: Registry, meta: RunMeta, now: Date): Promise<LeaseResult> {
  const claims = registry.kind === 'directory' ? runClaims(meta) : await sharedRunClaims(meta);
  const outcome = await registry.acquireLeases(meta.run_id, claims, meta.config.lease.ttl_ms, now, (lease, at) => holderIsLive(registry, lease, at));
  return asResult(outcome, now);
}

/** Retries every poll interval until the leases are granted or `until` (ms since epoch) passes. */
export async function awaitRunLeases(registry: Registry, meta: RunMeta, until: number, signal: AbortSignal): Promise<LeaseResult> {
  for (;;) {
    const result = await tryRunLeases(registry, meta, new Date());
    if (result.granted || Date.now() >= until || signal.aborted) return result;
    await sleep(Math.min(meta.config.lease.poll_ms, Math.max(0, until - Date.now())), signal);
  }
}

/**
 * Keeps the run's leases from expiring while this driver lives; returns the stop function. A
 * renewal that fails is reported (the next one, a third of the TTL later, tries again).
 */
export function keepLeasesRenewed(registry: Registry, meta: RunMeta, onFailure: (message: string) => void): () => void {
  const every = Math.max(50, Math.floor(meta.config.lease.ttl_ms / 3));
  const renew = () => registry.renewLeases(meta.run_id, meta.config.lease.ttl_ms, new Date())
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
async function holderIsLive(registry: Registry, lease: Lease, now: Date): Promise<boolean> {
  if (Date.parse(lease.expires_at) <= now.getTime()) return false;
  try {
    const snapshot = await registry.readSnapshot(lease.run_id);
    return !(snapshot !== null && TERMINAL_STATES.has(snapshot.state));
  } catch {
    return true;
  }
}
