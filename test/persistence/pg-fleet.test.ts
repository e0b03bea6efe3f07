// What runner hosts get from the PostgreSQL registry beyond the port: a queue that hands each run
// to exactly one host, takeover of a dead host's runs, requeue, and NOTIFY for live views.
import { fileURLToPath } from 'node:url';
import { describe, expect, onTestFinished, test } from 'vitest';
import { RunOwnershipLostError } from '../../persistence/errors.ts';
import { freshDatabase } from '../helpers/postgres.ts';
import { created, metaFor, moved, packetFor } from './registry-fixtures.ts';
import { pause, registryOn, sql } from './pg-helpers.ts';
import { RegistryProcess } from './registry-process.ts';

const PG_MODULE = fileURLToPath(new URL('../../persistence/pg/index.ts', import.meta.url));

describe('postgres registry: the queue of runner hosts', () => {
  test('several processes claiming at once: every queued run is claimed, each by exactly one of them', async () => {
    const { url } = await freshDatabase();
    const registry = await registryOn(url);
    const ids = Array.from({ length: 60 }, (_, i) => `q${String(i).padStart(2, '0')}`);
    for (const id of ids) await registry.submitRun(metaFor(id), packetFor(id));
    const hosts = [1, 2, 3, 4].map(() => new RegistryProcess({ module: PG_MODULE, exportName: 'openPgRegistry' }, url));
    await Promise.all(hosts.map((h) => h.ready));
    const answers = await Promise.all(hosts.map((h) => h.ask<string[]>('claimAll')));
    const claimed = answers.flatMap((a) => (a.ok ? a.value : [`error: ${a.error.message}`]));
    expect(claimed.sort()).toEqual(ids);
    // One claim and one open per run, no more: each moved the owner epoch once.
    const db = await sql(url);
    const epochs = await db.query('SELECT DISTINCT owner_epoch FROM runs');
    expect(epochs.rows).toEqual([{ owner_epoch: 2 }]);
    expect((await registry.claimNext())).toBeNull();
  });

  test('runs recorded to be driven where they were made (buran run) are never claimed', async () => {
    const { url } = await freshDatabase();
    const registry = await registryOn(url);
    await registry.createRun(metaFor('direct'), packetFor('direct'));
    expect(await registry.claimNext()).toBeNull();
  });

  test('a dead host\'s run is taken over by a claim (not while it beats); its late writes are refused', async () => {
    const { url } = await freshDatabase();
    const hostA = await registryOn(url, { hostId: 'host-a', heartbeatMs: 3_600_000 });
    const hostB = await registryOn(url, { hostId: 'host-b' });
    const db = await sql(url);
    await hostA.submitRun(metaFor('r1'), packetFor('r1'));
    expect(await hostA.claimNext()).toMatchObject({ run_id: 'r1', kind: 'queued' });
    const stale = await hostA.openRun('r1');
    await stale.append([created()], new Date());
    expect(await hostB.claimNext()).toBeNull();

    await pause(db, hostA);
    expect(await hostB.claimNext()).toMatchObject({ run_id: 'r1', kind: 'takeover', queued_at: null });
    const session = await hostB.openRun('r1');
    expect(session.lastSeq).toBe(1);
    await expect(stale.append([moved('packet_received', 'running')], new Date())).rejects.toBeInstanceOf(RunOwnershipLostError);
    expect((await session.append([moved('packet_received', 'running')], new Date()))[0]!.seq).toBe(2);
    await session.release();
    expect(await hostB.claimNext()).toBeNull();
  });

  test('a run put back in the queue (a host stopping) is claimed again as queued', async () => {
    const { url } = await freshDatabase();
    const hostA = await registryOn(url, { hostId: 'host-a' });
    const hostB = await registryOn(url, { hostId: 'host-b' });
    await hostA.submitRun(metaFor('r1'), packetFor('r1'));
    await hostA.claimNext();
    const session = await hostA.openRun('r1');
    await hostA.requeue('r1');
    await expect(session.append([created()], new Date())).rejects.toBeInstanceOf(RunOwnershipLostError);
    expect(await hostB.claimNext()).toMatchObject({ run_id: 'r1', kind: 'queued' });
  });
});

describe('postgres registry: NOTIFY for live views', () => {
  test('a listener hears committed appends, cancel requests and queued runs, and never a refused append', async () => {
    const { url } = await freshDatabase();
    const registry = await registryOn(url, { hostId: 'host-a', heartbeatMs: 3_600_000 });
    const other = await registryOn(url, { hostId: 'host-b' });
    const heard: string[] = [];
    const CHANNELS = other.channels;
    const listener = await other.listen(Object.values(CHANNELS), (channel, payload) => heard.push(`${channel} ${payload}`));
    onTestFinished(() => listener.close());
    const hearing = (line: string) => waitUntil(async () => heard.includes(line));

    await registry.submitRun(metaFor('r1'), packetFor('r1'));
    await hearing(`${CHANNELS.queue} r1`);
    await registry.claimNext();
    const session = await registry.openRun('r1');
    await session.append([created(), moved('packet_received', 'running')], new Date());
    await hearing(`${CHANNELS.journal} r1 2`);
    await registry.requestCancel('r1', 'first');
    await registry.requestCancel('r1', 'again');
    await hearing(`${CHANNELS.cancel} r1`);

    const db = await sql(url);
    await pause(db, registry);
    await (await other.openRun('r1')).append([moved('running', 'verification')], new Date());
    await hearing(`${CHANNELS.journal} r1 3`);
    await expect(session.append([moved('running', 'verification')], new Date())).rejects.toBeInstanceOf(RunOwnershipLostError);
    // A marker committed after the refusal: once it is heard, anything sent before it has been.
    await db.query('SELECT pg_notify($1, $2)', [CHANNELS.journal, 'marker']);
    await hearing(`${CHANNELS.journal} marker`);
    expect(heard).toEqual([`${CHANNELS.queue} r1`, `${CHANNELS.journal} r1 2`, `${CHANNELS.cancel} r1`, `${CHANNELS.journal} r1 3`, `${CHANNELS.journal} marker`]);
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
