// The registry port's contract, continued: what every run shares (leases, batches) and reopening
// a registry. Called by registryContract (registry-contract.ts) with its helpers.
import { describe, expect, onTestFinished, test } from 'vitest';
import { BatchExistsError, BatchNotFoundError } from '../../persistence/errors.ts';
import type { LeaseClaim, LeaseOutcome } from '../../persistence/lease.ts';
import type { Registry } from '../../persistence/port.ts';
import { batchFor, created, packetFor } from './registry-fixtures.ts';
import type { RegistryProcess } from './registry-process.ts';

const T0 = new Date('2030-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const alive = async () => true;

export interface ContractHelpers {
  fresh(): Promise<{ registry: Registry; address: string }>;
  withRun(runId?: string): Promise<{ registry: Registry; address: string }>;
  child(address: string): RegistryProcess;
  /** Opens the registry at an address again, in this process. */
  open(address: string): Promise<Registry>;
}

export function sharedRecordsContract(name: string, { fresh, withRun, child, open }: ContractHelpers): void {
  describe(`${name} registry: leases`, () => {
    const exclusive = (resource: string): LeaseClaim => ({ resource, mode: 'exclusive' });
    const shared = (resource: string): LeaseClaim => ({ resource, mode: 'shared' });

    test('all or nothing: one conflict leaves the run holding none of its claims', async () => {
      const { registry } = await fresh();
      expect((await registry.acquireLeases('a', [exclusive('surface:acme/w#src')], 60_000, at(0), alive)).granted).toBe(true);
      const outcome = await registry.acquireLeases('b', [exclusive('branch:acme/w#feature'), exclusive('surface:acme/w#src/a.ts')], 60_000, at(1), alive);
      expect(outcome).toMatchObject({ granted: false, holder: { run_id: 'a', resource: 'surface:acme/w#src' }, wanted: exclusive('surface:acme/w#src/a.ts') });
      expect(await registry.leasesHeldBy('b')).toEqual([]);
      expect((await registry.allLeases()).map((l) => l.run_id)).toEqual(['a']);
    });

    test('surfaces conflict by path prefix (letter case ignored), not by string prefix, and only within a repository', async () => {
      const { registry } = await fresh();
      await registry.acquireLeases('a', [exclusive('surface:acme/w#src/a')], 60_000, at(0), alive);
      expect((await registry.acquireLeases('b', [exclusive('surface:acme/w#src/ab.ts')], 60_000, at(0), alive)).granted).toBe(true);
      expect((await registry.acquireLeases('c', [exclusive('surface:acme/other#src/a')], 60_000, at(0), alive)).granted).toBe(true);
      expect((await registry.acquireLeases('d', [exclusive('surface:acme/w#Src/A/deep.ts')], 60_000, at(0), alive)).granted).toBe(false);
      expect((await registry.acquireLeases('e', [exclusive('surface:acme/w#')], 60_000, at(0), alive)).granted).toBe(false);
    });

    test('shared claims coexist; an exclusive claim waits for them', async () => {
      const { registry } = await fresh();
      expect((await registry.acquireLeases('a', [shared('repo:acme/w')], 60_000, at(0), alive)).granted).toBe(true);
      expect((await registry.acquireLeases('b', [shared('repo:acme/w')], 60_000, at(0), alive)).granted).toBe(true);
      const refused = await registry.acquireLeases('c', [exclusive('repo:acme/w')], 60_000, at(0), alive);
      expect(refused.granted).toBe(false);
    });

    test('expired claims and claims of holders that are not live stand in no one\'s way', async () => {
      const { registry } = await fresh();
      await registry.acquireLeases('a', [exclusive('branch:acme/w#x')], 1_000, at(0), alive);
      expect((await registry.acquireLeases('b', [exclusive('branch:acme/w#x')], 1_000, at(500), alive)).granted).toBe(false);
      expect((await registry.acquireLeases('b', [exclusive('branch:acme/w#x')], 1_000, at(2_000), alive)).granted).toBe(true);
      const judged: string[] = [];
      const notLive = async (lease: { run_id: string }) => { judged.push(lease.run_id); return false; };
      expect((await registry.acquireLeases('c', [exclusive('branch:acme/w#x')], 1_000, at(2_100), notLive)).granted).toBe(true);
      expect(judged).toEqual(['b']);
      expect((await registry.allLeases()).map((l) => l.run_id)).toEqual(['c']);
    });

    test('renew extends every claim of the run; release drops them; acquiring again replaces them', async () => {
      const { registry } = await fresh();
      await registry.acquireLeases('a', [exclusive('branch:acme/w#x'), shared('repo:acme/w')], 1_000, at(0), alive);
      expect(await registry.renewLeases('a', 5_000, at(500))).toBe(2);
      expect((await registry.leasesHeldBy('a')).map((l) => [l.resource, l.mode, l.expires_at])).toEqual([
        ['branch:acme/w#x', 'exclusive', at(5_500).toISOString()], ['repo:acme/w', 'shared', at(5_500).toISOString()],
      ]);
      expect((await registry.acquireLeases('b', [exclusive('branch:acme/w#x')], 1_000, at(2_000), alive)).granted).toBe(false);
      const again = await registry.acquireLeases('a', [exclusive('branch:acme/w#y')], 1_000, at(600), alive);
      expect(again).toEqual({ granted: true, leases: [{ ...exclusive('branch:acme/w#y'), run_id: 'a', acquired_at: at(600).toISOString(), expires_at: at(1_600).toISOString() }] });
      expect((await registry.leasesHeldBy('a')).map((l) => l.resource)).toEqual(['branch:acme/w#y']);
      expect(await registry.releaseLeases('a')).toBe(1);
      expect(await registry.releaseLeases('a')).toBe(0);
      expect(await registry.allLeases()).toEqual([]);
      expect(await registry.renewLeases('a', 1_000, at(700))).toBe(0);
    });

    test('several processes race for one claim: exactly one wins, and the table holds only its claim', async () => {
      const { registry, address } = await fresh();
      const racers = ['p1', 'p2', 'p3', 'p4'].map((id) => ({ id, process: child(address) }));
      await Promise.all(racers.map((r) => r.process.ready));
      const claims = (id: string) => [shared('repo:acme/w'), exclusive(`workspace:/ws/${id}`), exclusive('branch:acme/w#main')];
      const outcomes = await Promise.all(racers.map((r) => r.process.ask<LeaseOutcome>('acquireLeases', {
        runId: r.id, claims: claims(r.id), ttlMs: 60_000, now: at(0).toISOString(),
      })));
      const granted = outcomes.flatMap((o, i) => (o.ok && o.value.granted ? [racers[i]!.id] : []));
      expect(outcomes.every((o) => o.ok)).toBe(true);
      expect(granted).toHaveLength(1);
      const held = await registry.allLeases();
      expect(held.map((l) => l.run_id)).toEqual([granted[0], granted[0], granted[0]]);
      expect(held.map((l) => l.resource).sort()).toEqual(claims(granted[0]!).map((c) => c.resource).sort());
    });
  });

  describe(`${name} registry: batches`, () => {
    test('a batch reads back with its packets; its progress in the order recorded', async () => {
      const { registry } = await fresh();
      const record = batchFor('b1', ['b1-1', 'b1-2']);
      const packets = [packetFor('b1-1'), packetFor('b1-2')];
      await registry.createBatch(record, packets);
      expect(await registry.readBatch('b1')).toEqual({ record, packets });
      expect(await registry.readBatchProgress('b1')).toEqual([]);
      const done = [
        { run_id: 'b1-2', state: 'ready_for_manual_review', blocker: null, at: at(1).toISOString(), cost_usd: 0.5 },
        { run_id: 'b1-1', state: 'blocked_needs_human', blocker: 'review_failed', at: at(2).toISOString() },
      ];
      for (const progress of done) await registry.appendBatchProgress('b1', progress);
      expect(await registry.readBatchProgress('b1')).toEqual(done);
    });

    test('a batch id that is taken, or not there, is refused', async () => {
      const { registry } = await fresh();
      await registry.createBatch(batchFor('b1', ['x']), [packetFor('x')]);
      await expect(registry.createBatch(batchFor('b1', ['y']), [packetFor('y')])).rejects.toBeInstanceOf(BatchExistsError);
      expect((await registry.readBatch('b1')).record.runs).toEqual([{ run_id: 'x', task_id: 'x' }]);
      await expect(registry.readBatch('b2')).rejects.toBeInstanceOf(BatchNotFoundError);
    });
  });

  describe(`${name} registry: reopening`, () => {
    test('what one registry object wrote, another opened on the same address reads', async () => {
      const { registry, address } = await withRun();
      const session = await registry.openRun('r1');
      const [entry] = await session.append([created()], at(1));
      await session.release();
      const again = await open(address);
      onTestFinished(() => again.close());
      expect(await again.readJournal('r1')).toEqual([entry]);
      expect(await again.readMeta('r1')).toEqual(await registry.readMeta('r1'));
    });
  });
}
