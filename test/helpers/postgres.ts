// What tests use of the run's throwaway PostgreSQL (test/helpers/postgres-global-setup.ts): a fresh,
// empty database per test, dropped when the test ends.
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject, onTestFinished } from 'vitest';
import { databaseUrl, type ServerAddress } from './postgres-server.ts';
import type { ServerState } from './postgres-global-setup.ts';

/** The server's address, once it has started (it starts in the background when the run begins). */
export async function testPostgres(): Promise<ServerAddress> {
  const stateFile = inject('buranPostgresState');
  // Bounded: a start that fails writes its reason; one that hangs fails the test here with a message.
  const end = Date.now() + 120_000;
  while (!existsSync(stateFile)) {
    if (Date.now() > end) throw new Error(`the throwaway PostgreSQL did not start within 120 s (${stateFile} never appeared)`);
    await new Promise((r) => setTimeout(r, 25));
  }
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as ServerState;
  if (!state.ok) throw new Error(state.error);
  const { host, port, user, password } = state;
  return { host, port, user, password };
}

/** Runs one statement on the server's maintenance database. */
export async function adminQuery(sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: databaseUrl(await testPostgres(), 'postgres') });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A new, empty database; its URL. Made inside a test, it is dropped when the test finishes
 * (connections still open to it are ended); made outside one, call the returned drop yourself.
 */
export async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const server = await testPostgres();
  const name = `buran_${process.pid}_${randomBytes(5).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const drop = async () => {
    await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  };
  try {
    onTestFinished(drop);
  } catch {
    // Not inside a test: the caller drops it (the server goes at the end of the run anyway).
  }
  return { url: databaseUrl(server, name), drop };
}
