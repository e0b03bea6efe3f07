// The PostgreSQL registry: the registry port's contract, then what only it has to promise: fenced
// writes after a takeover, schema migrations, and its records checked when read.
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, test } from 'vitest';
import { InvalidIdError, RegistryCorruptError, RegistrySchemaNewerError, RegistryUnusableError, RunLockedError, RunOwnershipLostError } from '../../persistence/errors.ts';
import { EFFECTS } from '../../persistence/port.ts';
import { openPgRegistry, SCHEMA_LATEST } from '../../persistence/pg/index.ts';
import { freshDatabase } from '../helpers/postgres.ts';
import { pause, registryOn, sql } from './pg-helpers.ts';
import { registryContract } from './registry-contract.ts';
import { created, envelopeFor, metaFor, moved, packetFor } from './registry-fixtures.ts';

const PG_MODULE = fileURLToPath(new URL('../../persistence/pg/index.ts', import.meta.url));

registryContract('postgres', {
  async fresh() {
    const { url } = await freshDatabase();
    return { registry: await openPgRegistry(url), address: url };
  },
  open: (address) => openPgRegistry(address),
  opener: { module: PG_MODULE, exportName: 'openPgRegistry' },
});

const count = async (db: pg.Client, table: string, runId: string) =>
  Number((await db.query(`SELECT count(*) AS n FROM ${table} WHERE run_id = $1`, [runId])).rows[0].n);

describe('postgres registry: fenced writes', () => {
  test('after a takeover the old session writes nothing: journal, snapshot, effect records and leases are refused', async () => {
    const { url } = await freshDatabase();
    // The old host beats rarely: its heartbeat is made old by hand, as a paused host's would get.
    const old = await registryOn(url, { hostId: 'host-a', heartbeatMs: 3_600_000 });
    const next = await registryOn(url, { hostId: 'host-b' });
    const db = await sql(url);
    await old.createRun(metaFor('r1'), packetFor('r1'));
    const stale = await old.openRun('r1');
    await stale.append([created()], new Date());
    await old.acquireLeases('r1', [{ resource: 'branch:acme/w#x', mode: 'exclusive' }], 60_000, new Date(), async () => true);

    await expect(next.openRun('r1')).rejects.toBeInstanceOf(RunLockedError);
    await pause(db, old);
    const fresh = await next.openRun('r1');
    expect(fresh.lastSeq).toBe(1);

    await expect(stale.append([moved('packet_received', 'running')], new Date())).rejects.toBeInstanceOf(RunOwnershipLostError);
    await expect(stale.saveSnapshot(envelopeFor('r1', 1, 'running', new Date().toISOString()))).rejects.toBeInstanceOf(RunOwnershipLostError);
    await expect(old.writeEffect('r1', EFFECTS.taskOutcome('t1'), { late: true })).rejects.toBeInstanceOf(RunOwnershipLostError);
    await expect(old.releaseLeases('r1')).rejects.toBeInstanceOf(RunOwnershipLostError);
    expect([await count(db, 'journal', 'r1'), await count(db, 'snapshots', 'r1'), await count(db, 'effects', 'r1'), await count(db, 'leases', 'r1')]).toEqual([1, 0, 0, 1]);

    // The new owner goes on where the journal ended; the old session's release leaves the run with it.
    expect((await fresh.append([moved('packet_received', 'running')], new Date()))[0]!.seq).toBe(2);
    await stale.release();
    expect((await fresh.append([moved('running', 'verification')], new Date()))[0]!.seq).toBe(3);
    await fresh.release();
  });

  // A plain append locks the row FOR SHARE; one that moves the run's summary, FOR NO KEY UPDATE.
  test.each([
    ['a plain append', { type: 'worker.started' as const, task_id: 't1', role: 'implementer', pid: 1 }],
    ['an append that moves the run', moved('packet_received', 'running')],
  ])('%s that waited on a takeover in progress finds the new epoch and lands nothing', async (_, draft) => {
    const { url } = await freshDatabase();
    const old = await registryOn(url, { hostId: 'host-a' });
    const db = await sql(url);
    const takeover = await sql(url);
    await old.createRun(metaFor('r1'), packetFor('r1'));
    const stale = await old.openRun('r1');
    await stale.append([created()], new Date());

    // Another host's takeover holds the run row (its UPDATE of the epoch is not committed yet) ...
    await takeover.query('BEGIN');
    await takeover.query('UPDATE runs SET owner_id = NULL, owner_epoch = owner_epoch + 1 WHERE run_id = $1', ['r1']);
    // ... while the old session's append starts and waits for that row.
    let settled = false;
    const late = stale.append([draft], new Date());
    late.then(() => { settled = true; }, () => { settled = true; });
    // (A fence that did not conflict with the takeover would not wait: its append would land now.)
    await waitUntil(async () => {
      const waiting = await db.query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FROM runs WHERE run_id = $1 AND owner_epoch = $2%'");
      return settled || (waiting.rowCount ?? 0) > 0;
    });
    await takeover.query('COMMIT');

    await expect(late).rejects.toBeInstanceOf(RunOwnershipLostError);
    expect(await count(db, 'journal', 'r1')).toBe(1);
  });

  test('a registry closed while holding a run frees it at once for the next driver', async () => {
    const { url } = await freshDatabase();
    const first = await openPgRegistry(url, { hostId: 'host-a' });
    const second = await registryOn(url, { hostId: 'host-b' });
    await first.createRun(metaFor('r1'), packetFor('r1'));
    await first.openRun('r1');
    await expect(second.openRun('r1')).rejects.toThrow(/process \d+ on host host-a/);
    await first.close();
    await (await second.openRun('r1')).release();
  });

  test('one registry opens a run once at a time', async () => {
    const { url } = await freshDatabase();
    const registry = await registryOn(url);
    await registry.createRun(metaFor('r1'), packetFor('r1'));
    const [a, b] = await Promise.allSettled([registry.openRun('r1'), registry.openRun('r1')]);
    expect([a.status, b.status].sort()).toEqual(['fulfilled', 'rejected']);
    expect((b.status === 'rejected' ? b : a as PromiseRejectedResult).reason).toBeInstanceOf(RunLockedError);
  });
});

describe('postgres registry: schema', () => {
  test('a new database gets the schema on first use, once, however many processes open it together', async () => {
    const { url } = await freshDatabase();
    const registries = await Promise.all([1, 2, 3, 4].map(() => registryOn(url)));
    expect(registries).toHaveLength(4);
    const db = await sql(url);
    expect((await db.query('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => r.version)).toEqual([SCHEMA_LATEST]);
  });

  test('a database newer than this build is refused, naming both versions and what to do, and left unchanged', async () => {
    const { url } = await freshDatabase();
    await (await openPgRegistry(url)).close();
    const db = await sql(url);
    await db.query("INSERT INTO schema_migrations (version, name) VALUES ($1, 'from the future')", [SCHEMA_LATEST + 1]);
    const opening = openPgRegistry(url);
    await expect(opening).rejects.toBeInstanceOf(RegistrySchemaNewerError);
    await expect(opening).rejects.toThrow(new RegExp(`schema version ${SCHEMA_LATEST + 1}, newer than this buran knows \\(up to ${SCHEMA_LATEST}\\); upgrade buran`));
    expect((await db.query('SELECT count(*) AS n FROM schema_migrations')).rows[0].n).toBe('2');
  });

  test('a database holding tables of something else is refused; the schema of its own the message names works', async () => {
    const { url } = await freshDatabase();
    const db = await sql(url);
    await db.query('CREATE TABLE runs (id int)');
    const opening = openPgRegistry(url);
    await expect(opening).rejects.toBeInstanceOf(RegistryUnusableError);
    const message = await opening.catch((error: Error) => error.message);
    expect(message).toMatch(/give buran a database of its own, or a schema of its own \(\?options=-c%20search_path%3Dburan\)/);
    expect((await db.query("SELECT count(*) AS n FROM pg_tables WHERE tablename = 'journal'")).rows[0].n).toBe('0');

    await db.query('CREATE SCHEMA buran');
    const registry = await registryOn(`${url}?options=-c%20search_path%3Dburan`);
    await registry.createRun(metaFor('r1'), packetFor('r1'));
    expect((await db.query("SELECT count(*) AS n FROM buran.runs WHERE run_id = 'r1'")).rows[0].n).toBe('1');
    // Its news goes on channels of its own: a registry in another schema of the database hears none of it.
    expect(registry.channels.journal).toBe('buran_journal_buran');
  });

  test('a server that cannot be reached is RegistryUnusableError without the password', async () => {
    const { url } = await freshDatabase();
    const wrong = url.replace(/\/[^/]+$/, '/no_such_database');
    const opening = openPgRegistry(wrong);
    await expect(opening).rejects.toBeInstanceOf(RegistryUnusableError);
    const message = await opening.catch((error: Error) => error.message);
    expect(message).toContain('no_such_database');
    expect(message).not.toContain(new URL(url).password);
  });
});

describe('postgres registry: records checked when read', () => {
  test('a journal with a gap, or an entry that is not one, is RegistryCorruptError naming the run', async () => {
    const { url } = await freshDatabase();
    const registry = await registryOn(url);
    const db = await sql(url);
    await registry.createRun(metaFor('r1'), packetFor('r1'));
    const session = await registry.openRun('r1');
    await session.append([created(), moved('packet_received', 'running'), moved('running', 'verification')], new Date());
    await session.release();
    await db.query('UPDATE journal SET entry = $2 WHERE run_id = $1 AND seq = 3', ['r1', JSON.stringify({ seq: 3, type: 7 })]);
    await expect(registry.readJournal('r1')).rejects.toThrow(/runs\/r1\/journal: seq 3/);
    await db.query('DELETE FROM journal WHERE run_id = $1 AND seq = 2', ['r1']);
    await expect(registry.readJournal('r1')).rejects.toThrow(/entries 2\.\.2 are missing/);
    await expect(registry.openRun('r1')).rejects.toBeInstanceOf(RegistryCorruptError);
    // A refused open leaves the run free: quarantining it and opening it again are for whoever comes next.
    expect((await db.query('SELECT owner_id FROM runs WHERE run_id = $1', ['r1'])).rows[0].owner_id).toBeNull();
  });

  test('a damaged run record, packet or snapshot is RegistryCorruptError', async () => {
    const { url } = await freshDatabase();
    const registry = await registryOn(url);
    const db = await sql(url);
    await registry.createRun(metaFor('r1'), packetFor('r1'));
    await db.query(`UPDATE runs SET meta = '{"schema_version": 99}', packet = '[1]' WHERE run_id = 'r1'`);
    await expect(registry.readMeta('r1')).rejects.toBeInstanceOf(RegistryCorruptError);
    await expect(registry.readPacket('r1')).rejects.toThrow(/not a packet/);
    await db.query(`INSERT INTO snapshots (run_id, seq, envelope) VALUES ('r1', 0, '{"seq": "x"}')`);
    await expect(registry.readSnapshot('r1')).rejects.toBeInstanceOf(RegistryCorruptError);
  });

  test('ids that could not name a folder are refused before the database is asked', async () => {
    const { url } = await freshDatabase();
    const registry = await registryOn(url);
    await expect(registry.createRun(metaFor('../x'), packetFor('x'))).rejects.toBeInstanceOf(InvalidIdError);
    await expect(registry.readJournal('a/b')).rejects.toBeInstanceOf(InvalidIdError);
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
