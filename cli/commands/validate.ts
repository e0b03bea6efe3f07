import { resolve } from 'node:path';
import { readPacket, type MissingItem } from '../../schemas/packet.ts';
import { packetsOf } from '../packet-list.ts';
import { intakeSecrets, recordablePacket, secretCommandItems } from '../secret-check.ts';
import { checkPacket } from '../../schemas/packet-check.ts';
import { preflightBlockers } from '../../machines/preflight-rules.ts';
import { gatherPreflight } from '../../adapters/preflight.ts';
import { worktreePath } from '../../persistence/layout.ts';
import { loadIntakeBase, settingsOf, type IntakeBase } from '../intake.ts';
import type { Output } from '../output.ts';
import { readDocument } from '../read-document.ts';

/** `buran validate` flags: with --config, the run's preflight is checked too. */
export interface ValidateFlags {
  config?: string;
  workspace?: string;
  repo?: string;
  registry: string;
  cwd: string;
  json: boolean;
}

interface PacketResult {
  index: number;
  task_id: string | null;
  sufficient: boolean;
  missing: MissingItem[];
  /** Misspelled keys, shell syntax in commands: the packet is invalid (exit 2). */
  errors: string[];
  /** Keys the format does not know: ignored, reported. */
  unknown_keys: string[];
  /** What the preflight of a run with this config would block on (with --config). */
  preflight: string[];
}

/**
 * `buran validate PACKET [--config FILE]`: every missing item of every packet, every invalid or
 * unknown key, and with a config the same preflight `run` does before any worker starts. Writes
 * nothing. Exit 2 when a packet or the config is invalid, 3 when a run would be blocked, else 0.
 */
export async function validateCommand(path: string, flags: ValidateFlags, output: Output): Promise<number> {
  const doc = await readDocument(resolve(flags.cwd, path), 'packet');
  // validate and batch read lists the same way: anything but a list of objects is exit 2.
  const packets = packetsOf(doc, path, { listOnly: false });
  const base = flags.config !== undefined ? await loadIntakeBase({ ...flags, cwd: flags.cwd }) : null;
  const results: PacketResult[] = [];
  for (const [index, packet] of packets.entries()) results.push(await judge(packet, index, base, flags.registry));
  const invalid = results.some((r) => r.errors.length > 0);
  const blocked = results.some((r) => !r.sufficient || r.preflight.length > 0);
  if (flags.json) {
    output.out(JSON.stringify({ valid: !invalid, sufficient: results.every((r) => r.sufficient), preflight_checked: base !== null, packets: results }));
  } else {
    for (const r of results) {
      const verdict = r.errors.length > 0 ? `invalid (${r.errors.length} error(s))` : r.sufficient ? 'sufficient' : `insufficient (${r.missing.length} missing)`;
      output.out(`${r.task_id ?? `packet ${r.index + 1}`}: ${verdict}${base !== null && r.preflight.length > 0 ? `; the run would be blocked (${r.preflight.length})` : ''}`);
      for (const e of r.errors) output.out(`  - error: ${e}`);
      for (const m of r.missing) output.out(`  - ${m.item}: ${m.message}`);
      for (const p of r.preflight) output.out(`  - preflight: ${p}`);
      for (const k of r.unknown_keys) output.out(`  - note: unknown key ${k} is ignored`);
    }
    if (base !== null) output.out(`config: ${base.source ?? '(defaults: no buran.config.json)'}`);
  }
  return invalid ? 2 : blocked ? 3 : 0;
}

async function judge(packet: Record<string, unknown>, index: number, base: IntakeBase | null, registry: string): Promise<PacketResult> {
  const { errors, unknown } = checkPacket(packet);
  // What a run would record: redacted; a command that holds a secret is a missing item (CONTRACT 6).
  const secrets = intakeSecrets(base?.config ?? null);
  const { plan, missing } = readPacket(recordablePacket(packet, secrets));
  missing.push(...secretCommandItems(packet, secrets));
  let preflight: string[] = [];
  if (base !== null && missing.length === 0 && errors.length === 0) {
    const place = { workspace: base.repo !== null ? worktreePath(registry, '(new run)') : base.workspace!, repo: base.repo, registry };
    const facts = await gatherPreflight(base.config, plan, place, process.env);
    preflight = preflightBlockers(plan, settingsOf(base.config, plan.max_fix_attempts), facts).map((b) => `${b.code}: ${b.message}`);
  }
  return { index, task_id: plan.task_id || null, sufficient: missing.length === 0, missing, errors, unknown_keys: unknown, preflight };
}
