import { resolve } from 'node:path';
import { readPacket } from '../../schemas/packet.ts';
import { packetsOf } from '../packet-list.ts';
import { intakeSecrets, recordablePacket, secretCommandItems } from '../secret-check.ts';
import type { Output } from '../output.ts';
import { readDocument } from '../read-document.ts';

/** `buran validate PACKET`: every missing item of every packet; writes nothing. */
export async function validateCommand(path: string, cwd: string, json: boolean, output: Output): Promise<number> {
  const doc = await readDocument(resolve(cwd, path), 'packet');
  const packets = packetsOf(doc, path, { listOnly: false });
  const secrets = intakeSecrets(null);
  const results = packets.map((packet, index) => {
    const { plan, missing } = readPacket(recordablePacket(packet, secrets));
    missing.push(...secretCommandItems(packet, secrets));
    return { index, task_id: plan.task_id || null, sufficient: missing.length === 0, missing };
  });
  if (json) {
    output.out(JSON.stringify({ sufficient: results.every((r) => r.sufficient), packets: results }));
  } else {
    for (const r of results) {
      output.out(`${r.task_id ?? `packet ${r.index + 1}`}: ${r.sufficient ? 'sufficient' : `insufficient (${r.missing.length} missing)`}`);
      for (const m of r.missing) output.out(`  - ${m.item}: ${m.message}`);
    }
  }
  return results.every((r) => r.sufficient) ? 0 : 3;
}
