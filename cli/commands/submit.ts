import { resolve } from 'node:path';
import type { PgRegistry } from '../../persistence/pg/index.ts';
import { isDatabaseUrl } from '../../persistence/open-registry.ts';
import { UsageError } from '../errors.ts';
import { acceptPacket, runMetaFor, type IntakeBase } from '../intake.ts';
import { loadConfig } from '../load-config.ts';
import type { Output } from '../output.ts';
import { packetsOf } from '../packet-list.ts';
import { readDocument } from '../read-document.ts';
import { intakeSecrets, recordablePacket } from '../secret-check.ts';
import { withRegistry } from '../registry-access.ts';

/** What a submitted run records as its workspace until a runner host claims it. */
export const RUNNER_WORKSPACE = '(a worktree on the runner host that claims it)';

export interface SubmitFlags {
  path: string;
  config?: string;
  registry: string;
  cwd: string;
  json: boolean;
}

/** `buran submit PACKET|PACKET_LIST`: validates everything (exit 2, nothing written), then queues one run per packet for the runner hosts. */
export async function submitCommand(flags: SubmitFlags, output: Output): Promise<number> {
  if (!isDatabaseUrl(flags.registry)) {
    throw new UsageError('submit queues runs for runner hosts in a shared registry: give --registry postgres://… (or set BURAN_REGISTRY); on one machine, use buran run or buran batch');
  }
  const path = resolve(flags.cwd, flags.path);
  const packets = packetsOf(await readDocument(path, 'packet'), path, { listOnly: false });
  const label = (i: number) => (packets.length === 1 ? path : `${path}#packets[${i}]`);
  packets.forEach((packet, i) => acceptPacket(packet, label(i), output.err));
  const { config, source } = await loadConfig(flags.config, flags.cwd);
  const base: IntakeBase = { config, source, workRoot: '', repo: null, workspace: RUNNER_WORKSPACE, secrets: intakeSecrets(config) };
  const metas = packets.map((packet, i) => ({ ...runMetaFor(base, packet, label(i)), runner: true }));
  return withRegistry(flags.registry, async (registry) => {
    const shared = registry as PgRegistry;
    for (const [i, meta] of metas.entries()) await shared.submitRun(meta, recordablePacket(packets[i]!, base.secrets));
    if (flags.json) output.out(JSON.stringify({ queued: metas.map((m) => ({ run_id: m.run_id, task_id: m.input.plan.task_id })) }));
    else {
      for (const meta of metas) output.out(meta.run_id);
      output.err(`buran: ${metas.length} run(s) queued; a runner host (buran worker --registry …) picks them up. Follow one with: buran status ${metas[0]!.run_id}`);
    }
    return 0;
  });
}
