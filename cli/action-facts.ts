import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { quote, type ActionFacts } from '../machines/next-safe-action.ts';
import type { Registry } from '../persistence/port.ts';
import type { RunMeta } from '../persistence/records.ts';
import { isDatabaseUrl, redactedUrl } from '../persistence/open-registry.ts';
import { hostName } from '../persistence/host.ts';
import { isAlive } from '../persistence/process-identity.ts';

/** ` --registry DIR` unless a command run from `cwd` would find this registry by default. */
export function registryFlag(registry: string, cwd: string): string {
  const byDefault = process.env.BURAN_REGISTRY ?? '.buran';
  // A database registry is named without its password (`location`): the one in $BURAN_REGISTRY is implied.
  if (isDatabaseUrl(registry)) return isDatabaseUrl(byDefault) && redactedUrl(byDefault) === registry ? '' : ` --registry ${quote(registry)}`;
  return resolve(cwd, byDefault) === resolve(registry) ? '' : ` --registry ${quote(registry)}`;
}

/** What the next safe action of a recorded run needs to know to give a command that works as written. */
export async function actionFactsOf(meta: RunMeta, registry: Registry, cwd: string): Promise<ActionFacts> {
  const [retriedBy, driver] = await Promise.all([registry.readRetries(meta.run_id), drivenBy(registry, meta.run_id)]);
  return {
    registryFlag: registryFlag(registry.location, cwd),
    configSource: meta.config_source,
    // A packet from a batch list (`list.json#packets[2]`) cannot be run again on its own.
    packetSource: meta.packet_source.includes('#packets[') ? null : meta.packet_source,
    placeFlag: meta.repo !== null ? ` --repo ${quote(meta.repo)}` : ` --workspace ${quote(meta.workspace)}`,
    worktreeKept: meta.repo !== null && existsSync(meta.workspace),
    retriedBy,
    drivenBy: driver,
  };
}

// A driver on another host cannot be checked from here: its ownership is its registry's word.
async function drivenBy(registry: Registry, runId: string): Promise<string | null> {
  const holder = await registry.readOwner(runId);
  if (holder === null || holder.pid <= 0 || holder.pid === process.pid) return null;
  if (holder.host === hostName()) return isAlive(holder) ? `process ${holder.pid}` : null;
  return `process ${holder.pid} on host ${holder.host}`;
}
