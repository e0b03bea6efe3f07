import { existsSync } from 'node:fs';
import { TERMINAL_STATES } from '../../machines/states.ts';
import { readIfExists } from '../../persistence/durable-file.ts';
import { RunNotFinishedError } from '../../persistence/errors.ts';
import { refuseIfQuarantined } from '../../persistence/quarantine.ts';
import { parseRecord } from '../../persistence/record-file.ts';
import { createRunRecord, findRun, readRunMeta } from '../../persistence/registry.ts';
import { linkRetry } from '../../persistence/retry-links.ts';
import { readSnapshot } from '../../persistence/snapshot-store.ts';
import { z } from '../../schemas/zod.ts';
import { acceptPacket, loadIntakeBase, runMetaFor } from '../intake.ts';
import type { Output } from '../output.ts';
import { checkDriveFlags, drive, openInspector, type DriveFlags } from './run.ts';

/** `buran retry` flags. */
export interface RetryFlags extends DriveFlags {
  config?: string;
  cwd: string;
}

const PacketRecord = z.record(z.string(), z.unknown());

/**
 * `buran retry ID [--config FILE]`: a finished run stays finished; the way on after a config
 * problem is a new run of its frozen packet, in the same place, with the config as it is now
 * (--config FILE, else the file the old run was started with, read again, else the default).
 * The two runs are linked both ways. Prints the new run id first, then drives it like `run`.
 */
export async function retryCommand(oldRunId: string, flags: RetryFlags, output: Output): Promise<number> {
  checkDriveFlags(flags);
  const layout = await findRun(flags.registry, oldRunId);
  await refuseIfQuarantined(layout);
  const old = await readRunMeta(layout);
  const state = (await readSnapshot(layout.snapshot))?.state ?? 'packet_received';
  if (!TERMINAL_STATES.has(state)) {
    throw new RunNotFinishedError(oldRunId, state, `it can still go on: buran resume ${oldRunId} (or cancel it before retrying)`);
  }
  const packet = parseRecord(layout.packet, (await readIfExists(layout.packet)) ?? 'null', PacketRecord);
  acceptPacket(packet, `${layout.packet} (frozen from ${old.packet_source})`, output.err);
  const configFlag = flags.config ?? (old.config_source !== null && existsSync(old.config_source) ? old.config_source : undefined);
  const base = await loadIntakeBase({
    registry: flags.registry, cwd: flags.cwd, config: configFlag,
    ...(old.repo !== null ? { repo: old.repo } : { workspace: old.workspace }),
  });
  const inspector = await openInspector(flags, output);
  try {
    const meta = runMetaFor(base, packet, old.packet_source, undefined, oldRunId);
    await createRunRecord(flags.registry, meta, packet);
    await linkRetry(layout, meta.run_id);
    if (!flags.json) output.out(meta.run_id);
    output.err(`retrying run ${oldRunId} as run ${meta.run_id}, config ${base.source ?? '(defaults: no buran.config.json)'}`);
    return await drive(meta.run_id, flags, output, inspector);
  } finally {
    await inspector?.finish();
  }
}
