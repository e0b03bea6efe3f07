import pg from 'pg';
import { RegistryUnusableError } from '../errors.ts';

/** Keys of the transaction-scoped advisory locks the registry takes (one namespace: 0x6275 'bu'). */
export const ADVISORY = {
  migrations: 0x6275_0001,
  leases: 0x6275_0002,
} as const;

export { redactedLocation } from '../database-url.ts';

/** True for a --registry value that names a PostgreSQL database rather than a folder. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

/**
 * A pool of connections to the registry's database; one query proves the database answers. A server
 * that cannot be reached is RegistryUnusableError naming the URL (without its password) and the cause.
 */
export async function openPool(url: string, location: string, max = 8): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 15_000, application_name: 'buran' });
  // An idle connection the server dropped (a restart) is discarded by the pool; without a listener its
  // error would end the process.
  pool.on('error', () => {});
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => {});
    const { code, message } = error as NodeJS.ErrnoException;
    // The server's own words ("password authentication failed for user …") with its code; never the password.
    const detail = [message, code].filter((part) => part !== undefined && part !== '').join(', ');
    throw new RegistryUnusableError(location, `cannot use the database (${detail}): check that the server runs, that the URL (user, password, database) is right, and that this host may connect`);
  }
  return pool;
}

/** Runs `work` in one transaction (READ COMMITTED): committed when it resolves, rolled back when it throws. */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch {
      broken = true; // the connection is gone: do not give it back to the pool
    }
    throw error;
  } finally {
    client.release(broken);
  }
}
