export { PgRegistry, type PgRegistryOptions } from './pg-registry.ts';
export type { Channels } from './fence.ts';
export { isPostgresUrl, redactedLocation } from './connection.ts';
export { SCHEMA_LATEST } from './schema.ts';
export type { Claim } from './fleet-queue.ts';
export type { Listener } from './listen.ts';

import { PgRegistry, type PgRegistryOptions } from './pg-registry.ts';

/** Opens the PostgreSQL registry at `url` (migrating its schema on first use). */
export function openPgRegistry(url: string, options?: PgRegistryOptions): Promise<PgRegistry> {
  return PgRegistry.open(url, options);
}
