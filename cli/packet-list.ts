import { isPacketObject } from '../schemas/packet.ts';
import { UsageError } from './errors.ts';

/**
 * The packets of a document: a packet list's entries, or the document itself as one packet.
 * `validate` and `batch` read lists through this one function, so they agree: a list that is
 * not an array, is empty, or holds anything but objects is exit 2 (CONTRACT 2: a packet that is
 * not an object), never a per-packet finding.
 */
export function packetsOf(doc: unknown, path: string, options: { listOnly: boolean }): Record<string, unknown>[] {
  if (!isPacketObject(doc)) throw new UsageError(`${path} must be a JSON/YAML object${options.listOnly ? ' holding a packet list: { "packets": [ … ] }' : ''}`);
  if (!('packets' in doc)) {
    if (options.listOnly) throw new UsageError(`${path} must be a packet list: { "packets": [ … ] }`);
    return [doc];
  }
  if (!Array.isArray(doc.packets)) throw new UsageError(`${path}: "packets" must be a list of packets: { "packets": [ … ] }`);
  if (doc.packets.length === 0) throw new UsageError(`${path}: "packets" is empty`);
  const bad = doc.packets.findIndex((p) => !isPacketObject(p));
  if (bad !== -1) throw new UsageError(`${path}: packets[${bad}] must be a JSON/YAML object (a packet), not ${describe(doc.packets[bad])}`);
  return doc.packets as Record<string, unknown>[];
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}
