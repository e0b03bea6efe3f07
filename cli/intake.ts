import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROLES, type Config } from '../schemas/config.ts';
import { isPacketObject, readPacket } from '../schemas/packet.ts';
import type { RunInput } from '../machines/run-rules.ts';
import { isValidRunId } from '../persistence/layout.ts';
import { SCHEMA_VERSION, type RunMeta } from '../persistence/records.ts';
import { createRunRecord } from '../persistence/registry.ts';
import { UsageError } from './errors.ts';
import { loadConfig } from './load-config.ts';
import { readDocument } from './read-document.ts';

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

/** Validates everything first (exit 2, nothing written), then records the new run. */
export async function intakeRun(options: IntakeOptions): Promise<RunMeta> {
  const packetPath = resolve(options.cwd, options.packetPath);
  const packet = await readDocument(packetPath, 'packet');
  if (!isPacketObject(packet)) throw new UsageError(`packet ${packetPath} must be a JSON/YAML object`);
  if (Array.isArray(packet.packets)) throw new UsageError(`${packetPath} is a packet list: run one packet at a time (or use "buran batch")`);
  const { config, source } = await loadConfig(options.config, options.cwd);
  if (options.repo !== undefined) throw new UsageError('--repo (a git worktree per run) is not available in this version: use --workspace DIR');
  const workspace = resolve(options.cwd, options.workspace ?? '.');
  if (!isDirectory(workspace)) throw new UsageError(`--workspace ${workspace} is not a directory`);
  if (options.runId !== undefined && !isValidRunId(options.runId)) {
    throw new UsageError(`--run-id ${JSON.stringify(options.runId)}: use 1-100 letters, digits, ".", "-" or "_", starting with a letter or digit`);
  }
  const { plan, missing } = readPacket(packet);
  const runId = options.runId ?? newRunId(plan.task_id);
  const input: RunInput = { run_id: runId, plan, missing, settings: settingsOf(config, plan.max_fix_attempts) };
  const meta: RunMeta = {
    schema_version: SCHEMA_VERSION, run_id: runId, created_at: new Date().toISOString(), packet_source: packetPath,
    config_source: source, workspace, config, input,
  };
  await createRunRecord(options.registry, meta, packet);
  return meta;
}

/** The packet may lower the fix budget, never raise it past the operator's config. */
function settingsOf(config: Config, packetMaxFix: number | null): RunInput['settings'] {
  const roles = Object.fromEntries(ROLES.map((role) => [role, config.workers[role] !== undefined])) as RunInput['settings']['roles'];
  return {
    roles,
    max_fix_attempts: packetMaxFix === null ? config.limits.max_fix_attempts : Math.min(packetMaxFix, config.limits.max_fix_attempts),
    max_dispatch_retries: config.limits.max_dispatch_retries,
    allowed_commands: config.verification.allowed_commands,
  };
}

function newRunId(taskId: string): string {
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
