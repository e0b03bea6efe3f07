import { existsSync } from 'node:fs';
import { TERMINAL_STATES } from '../../machines/states.ts';
import { RunNotFinishedError } from '../../persistence/errors.ts';
import { refuseQuarantinedRun } from '../../persistence/quarantine.ts';
import { withRegistry } from '../registry-access.ts';
import { acceptPacket, loadIntakeBase, runMetaFor } from '../intake.ts';
import type { Output } from '../output.ts';
import { checkDriveFlags, drive, openInspector, type DriveFlags } from './run.ts';
import { loadConfig } from '../load-config.ts';
import { intakeSecrets } from '../secret-check.ts';
import type { PgRegistry } from '../../persistence/pg/index.ts';
import { RUNNER_WORKSPACE } from './submit.ts';

/** `buran retry` flags. */
export interface RetryFlags extends DriveFlags {
  config?: string;
  cwd: string;
}

/**
 * `buran retry ID [--config FILE]`: a finished run stays finished; the way on after a config
 * problem is a new run of its frozen packet, in the same place, with the config as it is now
 * (--config FILE, else the file the old run was started with, read again, else the default).
 * The two runs are linked both ways. Prints the new run id first, then drives it like `run`.
 */
export async function retryCommand(oldRunId: string, flags: RetryFlags, output: Output): Promise<number> {
  checkDriveFlags(flags);
  return withRegistry(flags.registry, async (registry) => {
    await registry.assertRun(oldRunId);
    await refuseQuarantinedRun(registry, oldRunId);
    const old = await registry.readMeta(oldRunId);
    const state = (await registry.readSnapshot(oldRunId))?.state ?? 'packet_received';
    if (!TERMINAL_STATES.has(state)) {
      throw new RunNotFinishedError(oldRunId, state, `it can still go on: buran resume ${oldRunId} (or cancel it before retrying)`);
    }
    const packet = await registry.readPacket(oldRunId);
    acceptPacket(packet, `${registry.recordName(oldRunId, 'packet')} (frozen from ${old.packet_source})`, output.err);
    const configFlag = flags.config ?? (old.config_source !== null && existsSync(old.config_source) ? old.config_source : undefined);
    // A fleet's run is retried as one: queued again for the runner hosts, not driven here.
    if (old.runner === true) return resubmit(registry as PgRegistry, oldRunId, packet, old.packet_source, { ...flags, config: configFlag }, output);
    const base = await loadIntakeBase({
      registry: flags.registry, cwd: flags.cwd, config: configFlag,
      ...(old.repo !== null ? { repo: old.repo } : { workspace: old.workspace }),
    });
    const inspector = await openInspector(flags, output);
    try {
      const meta = runMetaFor(base, packet, old.packet_source, undefined, oldRunId);
      await registry.createRun(meta, packet);
      await registry.linkRetry(oldRunId, meta.run_id);
      if (!flags.json) output.out(meta.run_id);
      output.err(`retrying run ${oldRunId} as run ${meta.run_id}, config ${base.source ?? '(defaults: no buran.config.json)'}`);
      return await drive(registry, meta.run_id, flags, output, inspector);
    } finally {
      await inspector?.finish();
    }
  });
}

async function resubmit(registry: PgRegistry, oldRunId: string, packet: Record<string, unknown>, packetSource: string, flags: RetryFlags, output: Output): Promise<number> {
  const { config, source } = await loadConfig(flags.config, flags.cwd);
  const base = { config, source, workRoot: '', repo: null, workspace: RUNNER_WORKSPACE, secrets: intakeSecrets(config) };
  const meta = { ...runMetaFor(base, packet, packetSource, undefined, oldRunId), runner: true };
  await registry.submitRun(meta, packet);
  await registry.linkRetry(oldRunId, meta.run_id);
  output.out(flags.json ? JSON.stringify({ run_id: meta.run_id, state: 'queued', retry_of: oldRunId }) : meta.run_id);
  output.err(`retrying run ${oldRunId} as run ${meta.run_id}, config ${source ?? '(defaults: no buran.config.json)'}: queued for the runner hosts`);
  return 0;
}
