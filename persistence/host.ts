import { hostname } from 'node:os';

/** This host's name in the registry (`--host-id` may set it; the fleet uses it to tell hosts apart). */
export function hostName(): string {
  return process.env.BURAN_HOST_ID || hostname();
}
