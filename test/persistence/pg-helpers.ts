// What the PostgreSQL registry's tests share: a registry and a plain connection per test, and a way
// to make a registry's host look dead.
import pg from 'pg';
import { onTestFinished } from 'vitest';
import { openPgRegistry, type PgRegistry, type PgRegistryOptions } from '../../persistence/pg/index.ts';

/** A registry on `url`, closed when the test ends. */
export async function registryOn(url: string, options: PgRegistryOptions = {}): Promise<PgRegistry> {
  const registry = await openPgRegistry(url, options);
  onTestFinished(() => registry.close());
  return registry;
}

/** A plain connection to the database, to look at rows and to act as a stuck or paused host. */
export async function sql(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  onTestFinished(() => client.end());
  return client;
}

/** Makes `registry`'s host look dead to the others: its heartbeat is an hour old. */
export async function pause(db: pg.Client, registry: PgRegistry): Promise<void> {
  const id = await registry.owner.id();
  await db.query("UPDATE hosts SET heartbeat_at = clock_timestamp() - interval '1 hour' WHERE id = $1", [id]);
}
