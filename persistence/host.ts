import { hostname } from 'node:os';

/** This host's name in the registry (`--host-id` may set it; the fleet uses it to tell hosts apart). */
export function hostName(): string {
  return process.env.BURAN_HOST_ID || hostname();
}

/**
 * A record of a process (a dispatch, a running command) is this host's to check and signal: one
 * written on another host of a fleet names a pid of that host's kernel. Records of earlier
 * versions carry no host and were written here.
 */
export function recordedHere(record: { host?: string } | null | undefined): boolean {
  return record?.host === undefined || record.host === hostName();
}
