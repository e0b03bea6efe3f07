import type pg from 'pg';
import { RegistrySchemaNewerError, RegistryUnusableError } from '../errors.ts';
import { MIGRATIONS, SCHEMA_LATEST, type Migration } from './schema.ts';
import { ADVISORY, inTransaction } from './connection.ts';

/**
 * Brings the database's schema up to this build's, on first use: pending migrations are applied in
 * order, each in its own transaction, under an advisory lock (processes starting together apply
 * each once). A database at a version this build does not know is refused before anything changes.
 * Returns the versions applied now.
 */
export async function migrate(pool: pg.Pool, location: string, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
  // The common case costs one query: the schema is already current.
  const current = await currentVersion(pool);
  if (current !== null && current > latest) throw new RegistrySchemaNewerError(location, current, latest);
  if (current === latest) return [];
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY.migrations]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT clock_timestamp())`);
    // Read again under the lock: another process may have migrated meanwhile.
    const found = await versionIn(client);
    if (found > latest) throw new RegistrySchemaNewerError(location, found, latest);
    const applied: number[] = [];
    for (const migration of migrations) {
      if (migration.version <= found) continue;
      await client.query(migration.sql).catch((error: { code?: string; message?: string }) => {
        // A table of the same name that is not ours: the database belongs to something else.
        if (error.code === '42P07') {
          throw new RegistryUnusableError(location, `cannot make the registry's tables (${error.message}): give buran a database of its own, or a schema of its own (?options=-c%20search_path%3Dburan)`);
        }
        throw error;
      });
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      applied.push(migration.version);
    }
    return applied;
  });
}

/** The database's schema version: null before the first migration. */
export async function currentVersion(pool: pg.Pool | pg.PoolClient): Promise<number | null> {
  const exists = await pool.query<{ present: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS present");
  return exists.rows[0]!.present ? versionIn(pool) : null;
}

async function versionIn(client: pg.Pool | pg.PoolClient): Promise<number> {
  const result = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM schema_migrations');
  return result.rows[0]!.version ?? 0;
}

export { SCHEMA_LATEST };
