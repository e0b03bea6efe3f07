import { randomBytes } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { checkoutRoot } from '../adapters/worktree.ts';
import { ROLES, type Config } from '../schemas/config.ts';
import { isPacketObject, readPacket } from '../schemas/packet.ts';
import { checkPacket } from '../schemas/packet-check.ts';
import type { RunInput } from '../machines/run-rules.ts';
import { isValidRunId, worktreePath } from '../persistence/layout.ts';
import { SCHEMA_VERSION, type RunMeta } from '../persistence/records.ts';
import type { Registry } from '../persistence/port.ts';
import { workRootFor } from '../persistence/open-registry.ts';
import { UsageError } from './errors.ts';
import { loadConfig } from './load-config.ts';
import { readDocument } from './read-document.ts';
import { intakeSecrets, recordablePacket, secretCommandItems } from './secret-check.ts';

/** `buran run PACKET` flags that shape a new run. */
export interface IntakeOptions {
  packetPath: string;
  config?: string;
  workspace?: string;
  repo?: string;
  runId?: string;
  registry: string;
  cwd: string;
}

/** Validates everything first (exit 2, nothing written), then records the new run; `warn` hears of ignored keys. */
export async function intakeRun(options: IntakeOptions, registry: Registry, warn: (line: string) => void = () => {}): Promise<RunMeta> {
  const packetPath = resolve(options.cwd, options.packetPath);
  const packet = await readDocument(packetPath, 'packet');
  if (!isPacketObject(packet)) throw new UsageError(`packet ${packetPath} must be a JSON/YAML object`);
  if ('packets' in packet) throw new UsageError(`${packetPath} is a packet list (it has "packets"): run one packet at a time, or use "buran batch"`);
  acceptPacket(packet, packetPath, warn);
  const base = await loadIntakeBase(options);
  const meta = runMetaFor(base, packet, packetPath, options.runId);
  await registry.createRun(meta, recordablePacket(packet, base.secrets));
  return meta;
}

/** Refuses a packet with misspelled keys or shell syntax in its commands (exit 2); reports unknown keys. */
export function acceptPacket(packet: Record<string, unknown>, label: string, warn: (line: string) => void): void {
  const { errors, unknown } = checkPacket(packet);
  if (errors.length > 0) throw new UsageError(`packet ${label} is invalid`, errors);
  for (const key of unknown) warn(`buran: packet ${label}: unknown key ${key} is ignored`);
}

/** What every run of one invocation shares: the config and where runs work. */
export interface IntakeBase {
  config: Config;
  source: string | null;
  /** Where this host keeps runs' worktrees and files (the registry folder, for a directory registry). */
  workRoot: string;
  /** The checkout runs get worktrees of, or null. */
  repo: string | null;
  /** The workspace used as is when there is no repo. */
  workspace: string | null;
  /** Secret values never to be recorded (intakeSecrets of the config). */
  secrets: string[];
}

/** Loads the config and resolves --workspace / --repo once (exit 2 on anything wrong). */
export async function loadIntakeBase(options: Omit<IntakeOptions, 'packetPath' | 'runId'>): Promise<IntakeBase> {
  const { config, source } = await loadConfig(options.config, options.cwd);
  return { config, source, workRoot: workRootFor(options.registry), secrets: intakeSecrets(config), ...(await placeOf(options, config, source)) };
}

/** The run record of one packet (not yet written). */
export function runMetaFor(base: IntakeBase, packet: Record<string, unknown>, packetSource: string, runIdFlag?: string, retryOf: string | null = null): RunMeta {
  if (runIdFlag !== undefined && !isValidRunId(runIdFlag)) {
    throw new UsageError(`--run-id ${JSON.stringify(runIdFlag)}: use 1-100 letters, digits, ".", "-" or "_", starting with a letter or digit`);
  }
  // What is recorded is the redacted packet; a command that held a secret is an item, never run redacted.
  const { plan, missing } = readPacket(recordablePacket(packet, base.secrets));
  missing.push(...secretCommandItems(packet, base.secrets));
  const runId = runIdFlag ?? newRunId(plan.task_id);
  const input: RunInput = { run_id: runId, plan, missing, settings: settingsOf(base.config, plan.max_fix_attempts) };
  return {
    schema_version: SCHEMA_VERSION, run_id: runId, created_at: new Date().toISOString(), packet_source: packetSource,
    config_source: base.source, workspace: base.repo !== null ? worktreePath(base.workRoot, runId) : base.workspace!, repo: base.repo,
    retry_of: retryOf, config: base.config, input,
  };
}

/** The packet may lower the fix budget, never raise it past the operator's config. */
export function settingsOf(config: Config, packetMaxFix: number | null): RunInput['settings'] {
  const roles = Object.fromEntries(ROLES.map((role) => [role, config.workers[role] !== undefined])) as RunInput['settings']['roles'];
  return {
    roles,
    max_fix_attempts: packetMaxFix === null ? config.limits.max_fix_attempts : Math.min(packetMaxFix, config.limits.max_fix_attempts),
    max_dispatch_retries: config.limits.max_dispatch_retries,
    allowed_commands: config.verification.allowed_commands,
    lease_wait_ms: config.lease.wait_ms,
    handoff: { kind: config.handoff.kind, allowed_repos: config.handoff.allowed_repos },
    setup: config.workspace.setup.length > 0,
    agents: {
      max_cost_usd: config.limits.max_cost_usd ?? null, max_quota_wait_ms: config.limits.max_quota_wait_ms, backoff_ms: config.limits.agent_backoff_ms,
    },
  };
}

/**
 * Where the run works: with --repo (or workspace.repo) its own worktree under the registry,
 * made when the run is queued; else the workspace folder as it is.
 */
async function placeOf(
  options: Omit<IntakeOptions, 'packetPath' | 'runId'>, config: Config, configSource: string | null,
): Promise<{ workspace: string | null; repo: string | null }> {
  if (options.repo !== undefined && options.workspace !== undefined) throw new UsageError('give --workspace DIR or --repo DIR, not both');
  const repoDir = options.repo !== undefined
    ? resolve(options.cwd, options.repo)
    : options.workspace === undefined && config.workspace.repo !== undefined
      ? resolve(configSource ? dirname(configSource) : options.cwd, config.workspace.repo)
      : null;
  if (repoDir !== null) {
    const flag = options.repo !== undefined ? '--repo' : 'workspace.repo';
    if (!isDirectory(repoDir)) throw new UsageError(`${flag} ${repoDir} is not a directory`);
    const repo = await checkoutRoot(repoDir).catch(() => {
      throw new UsageError(`${flag} ${repoDir} is not a git checkout: give the folder of a git repository`);
    });
    return { workspace: null, repo };
  }
  const workspace = resolve(options.cwd, options.workspace ?? '.');
  if (!isDirectory(workspace)) throw new UsageError(`--workspace ${workspace} is not a directory`);
  return { workspace: realpathSync(workspace), repo: null };
}

export function newRunId(taskId: string): string {
  const slug = taskId.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 40) || 'run';
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${slug}-${stamp}-${randomBytes(2).toString('hex')}`;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
