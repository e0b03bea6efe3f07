// The registry port's contract: every implementation (the directory registry, the PostgreSQL
// registry) runs these same tests through the Registry interface alone. A test file calls
// registryContract with a way to make a fresh registry, to open it again, and to open it in
// another process (registry-child.ts).
import { describe, expect, onTestFinished, test } from 'vitest';
import { RegistryCorruptError, RunExistsError, RunLockedError, RunNotFoundError } from '../../persistence/errors.ts';
import { EFFECTS, type Registry } from '../../persistence/port.ts';
import { created, envelopeFor, metaFor, moved, packetFor } from './registry-fixtures.ts';
import { RegistryProcess, type RegistryOpener } from './registry-process.ts';
import { sharedRecordsContract } from './registry-contract-shared.ts';
import { statusReadContract } from './registry-contract-status.ts';

export interface RegistryFactory {
  /** A fresh, empty registry, and the address that opens it again (here or in another process). */
  fresh(): Promise<{ registry: Registry; address: string }>;
  /** Opens the registry at `address` in this process. */
  open(address: string): Promise<Registry>;
  /** How another process opens it: a module and its export `(address) => Promise<Registry>`. */
  opener: RegistryOpener;
}

const T0 = new Date('2030-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const isDispatch = (v: unknown): v is { pid: number } => typeof (v as { pid?: unknown } | null)?.pid === 'number';

export function registryContract(name: string, factory: RegistryFactory): void {
  /** A fresh registry for this test, closed when it finishes. */
  async function fresh(): Promise<{ registry: Registry; address: string }> {
    const made = await factory.fresh();
    onTestFinished(() => made.registry.close());
    return made;
  }

  async function withRun(runId = 'r1'): Promise<{ registry: Registry; address: string }> {
    const made = await fresh();
    await made.registry.createRun(metaFor(runId), packetFor(runId));
    return made;
  }

  function child(address: string): RegistryProcess {
    return new RegistryProcess(factory.opener, address);
  }

  describe(`${name} registry: runs`, () => {
    test('a created run reads back as recorded, and is listed before it is driven', async () => {
      const { registry } = await fresh();
      const meta = metaFor('r1', '2030-01-01T00:00:00.000Z');
      await registry.createRun(meta, packetFor('r1'));
      await registry.assertRun('r1');
      expect(await registry.readMeta('r1')).toEqual(meta);
      expect(await registry.readPacket('r1')).toEqual(packetFor('r1'));
      expect(await registry.runIds()).toEqual(['r1']);
      expect(await registry.listRuns()).toEqual([
        { run_id: 'r1', state: 'packet_received', updated_at: meta.created_at, blocker: null, cost_usd: 0, quarantined: false },
      ]);
      expect(await registry.readSnapshot('r1')).toBeNull();
      expect(await registry.readJournal('r1')).toEqual([]);
    });

    test('a run id that is taken is refused, and the first run is left as it was', async () => {
      const { registry } = await withRun('r1');
      const other = { ...metaFor('r1'), packet_source: 'other.json' };
      await expect(registry.createRun(other, packetFor('other'))).rejects.toBeInstanceOf(RunExistsError);
      expect((await registry.readMeta('r1')).packet_source).toBe('packet.json');
      expect(await registry.readPacket('r1')).toEqual(packetFor('r1'));
    });

    test('a run that is not there is RunNotFoundError', async () => {
      const { registry } = await fresh();
      await expect(registry.assertRun('nope')).rejects.toBeInstanceOf(RunNotFoundError);
      await expect(registry.openRun('nope')).rejects.toBeInstanceOf(RunNotFoundError);
    });

    test('every run is listed and counted, oldest first by runIds', async () => {
      const { registry } = await fresh();
      for (const id of ['a1', 'a2', 'a3']) await registry.createRun(metaFor(id), packetFor(id));
      expect(await registry.runIds()).toEqual(['a1', 'a2', 'a3']);
      expect((await registry.listRuns()).map((r) => r.run_id).sort()).toEqual(['a1', 'a2', 'a3']);
    });
  });

  describe(`${name} registry: journal and snapshot`, () => {
    test('appends are numbered without gaps, durable when they resolve, and read back from any seq', async () => {
      const { registry } = await withRun();
      const session = await registry.openRun('r1');
      expect([session.existing, session.snapshot, session.lastSeq]).toEqual([[], null, 0]);
      const first = await session.append([created(), moved('packet_received', 'running.implementing')], at(1));
      expect(first.map((e) => [e.seq, e.at, e.type])).toEqual([[1, at(1).toISOString(), 'run.created'], [2, at(1).toISOString(), 'run.transition']]);
      expect(await session.append([], at(2))).toEqual([]);
      const second = await session.append([moved('running.implementing', 'verification')], at(3));
      expect(second.map((e) => e.seq)).toEqual([3]);
      expect(session.lastSeq).toBe(3);
      expect(await registry.readJournal('r1')).toEqual([...first, ...second]);
      expect(await registry.readJournal('r1', { after: 2 })).toEqual(second);
      expect(await registry.readJournal('r1', { after: 3 })).toEqual([]);
      await session.release();

      const again = await registry.openRun('r1');
      expect(again.existing).toEqual([...first, ...second]);
      expect(again.lastSeq).toBe(3);
      expect((await again.append([moved('verification', 'internal_review')], at(4)))[0]!.seq).toBe(4);
      await again.release();
    });

    test('a draft cannot set its own seq or time', async () => {
      const { registry } = await withRun();
      const session = await registry.openRun('r1');
      const [entry] = await session.append([{ ...created(), seq: 99, at: 'yesterday' }], at(1));
      expect([entry!.seq, entry!.at]).toEqual([1, at(1).toISOString()]);
      expect((await registry.readJournal('r1'))[0]).toEqual(entry);
      await session.release();
    });

    test('an entry keeps any text exactly (quotes, backslashes, braces, new lines, other scripts)', async () => {
      const { registry } = await withRun();
      const session = await registry.openRun('r1');
      const message = 'say "hi" \\ {not: json} [1,2] , \n line two \t ☃ 日本 \u0001 end';
      const [entry] = await session.append([{ type: 'task.duplicate', task_id: 't1', message }], at(1));
      const [read] = await registry.readJournal('r1');
      expect(read).toEqual(entry);
      expect((read as { message?: string }).message).toBe(message);
      await session.release();
    });

    test('before its first snapshot a run is listed in the state its last run transition entered', async () => {
      const { registry } = await withRun();
      const session = await registry.openRun('r1');
      await session.append([created(), moved('packet_received', 'running.implementing')], at(5));
      expect(await registry.listRuns()).toEqual([
        { run_id: 'r1', state: 'running', updated_at: at(5).toISOString(), blocker: null, cost_usd: 0, quarantined: false },
      ]);
      await session.release();
    });

    test('a saved snapshot reads back, replaces the last, and is what list shows (state, time, blocker, cost)', async () => {
      const { registry } = await withRun();
      const session = await registry.openRun('r1');
      await session.append([created()], at(1));
      const first = envelopeFor('r1', 1, 'running', at(1).toISOString(), { cost_usd: 0.25 });
      expect(session.snapshot).toBeNull();
      expect(await session.saveSnapshot(first)).toBeGreaterThan(0);
      expect(await registry.readSnapshot('r1')).toEqual(first);
      // The session's snapshot is the last it saved (a deliberate stop reports it).
      expect(session.snapshot).toEqual(first);
      await session.append([moved('packet_received', 'blocked_needs_human')], at(2));
      const second = envelopeFor('r1', 2, 'blocked_needs_human', at(2).toISOString(), { cost_usd: 1.5, blocker: { code: 'review_failed', message: 'm' } });
      await session.saveSnapshot(second);
      expect(await registry.readSnapshot('r1')).toEqual(second);
      expect(await registry.listRuns()).toEqual([
        { run_id: 'r1', state: 'blocked_needs_human', updated_at: at(2).toISOString(), blocker: 'review_failed', cost_usd: 1.5, quarantined: false },
      ]);
      await session.release();
      const reopened = await registry.openRun('r1');
      expect(reopened.snapshot).toEqual(second);
      await reopened.release();
    });

    test('list: newest update first, filtered by state, cut at a limit', async () => {
      const { registry } = await fresh();
      const states = [['old', 'ready_for_manual_review', 1], ['new', 'running', 3], ['mid', 'running', 2]] as const;
      for (const [id, state, minute] of states) {
        await registry.createRun(metaFor(id), packetFor(id));
        const session = await registry.openRun(id);
        await session.append([created()], at(minute * 60_000));
        await session.saveSnapshot(envelopeFor(id, 1, state, at(minute * 60_000).toISOString()));
        await session.release();
      }
      expect((await registry.listRuns()).map((r) => r.run_id)).toEqual(['new', 'mid', 'old']);
      expect((await registry.listRuns({ state: 'running' })).map((r) => r.run_id)).toEqual(['new', 'mid']);
      expect((await registry.listRuns({ limit: 2 })).map((r) => r.run_id)).toEqual(['new', 'mid']);
      expect(await registry.listRuns({ state: 'failed_execution' })).toEqual([]);
    });
  });

  describe(`${name} registry: effect records`, () => {
    test('written, read, replaced and removed by key; a missing one is null', async () => {
      const { registry } = await withRun();
      const key = EFFECTS.taskIntent('t1');
      expect(await registry.readEffect('r1', key, isDispatch, 'dispatch record')).toBeNull();
      await registry.writeEffect('r1', key, { pid: 1 });
      expect(await registry.readEffect('r1', key, isDispatch, 'dispatch record')).toEqual({ pid: 1 });
      await registry.writeEffect('r1', key, { pid: 2, note: 'x' });
      expect(await registry.readEffect('r1', key, isDispatch, 'dispatch record')).toEqual({ pid: 2, note: 'x' });
      await registry.writeEffect('r1', EFFECTS.verification(1), { pid: 3 });
      await registry.removeEffect('r1', key);
      expect(await registry.readEffect('r1', key, isDispatch, 'dispatch record')).toBeNull();
      expect(await registry.readEffect('r1', EFFECTS.verification(1), isDispatch, 'verification record')).toEqual({ pid: 3 });
    });

    test('keys are listed under a prefix, and only that run\'s', async () => {
      const { registry } = await withRun();
      await registry.createRun(metaFor('r2'), packetFor('r2'));
      for (const key of [EFFECTS.taskIntent('t1'), EFFECTS.taskOutcome('t1'), EFFECTS.taskIntent('t2'), EFFECTS.verification(1)]) await registry.writeEffect('r1', key, { pid: 1 });
      await registry.writeEffect('r2', EFFECTS.taskIntent('t9'), { pid: 1 });
      expect((await registry.effectKeys('r1', 'tasks/')).sort()).toEqual(['tasks/t1/dispatch', 'tasks/t1/outcome', 'tasks/t2/dispatch']);
      expect(await registry.effectKeys('r1', 'handoff/')).toEqual([]);
    });

    test('a record its reader does not accept is RegistryCorruptError naming what was expected', async () => {
      const { registry } = await withRun();
      await registry.writeEffect('r1', EFFECTS.taskOutcome('t1'), { pid: 'not a number' });
      const read = registry.readEffect('r1', EFFECTS.taskOutcome('t1'), isDispatch, 'dispatch record');
      await expect(read).rejects.toBeInstanceOf(RegistryCorruptError);
      await expect(read).rejects.toThrow(/dispatch record/);
    });
  });

  describe(`${name} registry: one driver per run`, () => {
    test('a second process cannot open a run that is held, and is told who holds it; after release it can', async () => {
      const { registry, address } = await withRun();
      const session = await registry.openRun('r1');
      const other = child(address);
      await other.ready;
      const refused = await other.ask('openRun', { runId: 'r1' });
      expect(refused.ok).toBe(false);
      if (!refused.ok) {
        expect(refused.error.name).toBe(RunLockedError.name);
        expect(refused.error.message).toContain(`process ${process.pid}`);
      }
      await session.release();
      expect((await other.ask('openRun', { runId: 'r1' })).ok).toBe(true);
      await expect(registry.openRun('r1')).rejects.toThrow(new RegExp(`process ${other.pid}`));
    });

    test('the owner is the holding process while it holds the run, and nobody once it lets go', async () => {
      const { registry } = await withRun();
      expect(await registry.readOwner('r1')).toBeNull();
      const session = await registry.openRun('r1');
      const owner = await registry.readOwner('r1');
      expect(owner?.pid).toBe(process.pid);
      expect(typeof owner?.host).toBe('string');
      await session.release();
      expect(await registry.readOwner('r1')).toBeNull();
    });

    test('a holder that died (SIGKILL) does not keep the run: the next driver takes it, with its history', async () => {
      const { registry, address } = await withRun();
      const other = child(address);
      await other.ready;
      expect((await other.ask('openRun', { runId: 'r1' })).ok).toBe(true);
      expect((await other.ask('append', { runId: 'r1', drafts: [created()], now: at(1).toISOString() })).ok).toBe(true);
      await other.kill();
      const session = await registry.openRun('r1');
      expect(session.lastSeq).toBe(1);
      await session.release();
    });
  });

  describe(`${name} registry: requests from other processes`, () => {
    test('cancel: none, then the first request stands; the driving session sees it', async () => {
      const { registry } = await withRun();
      const session = await registry.openRun('r1');
      expect(await registry.readCancelRequest('r1')).toBeNull();
      expect(await session.cancelReason()).toBeNull();
      await registry.requestCancel('r1', 'first');
      await registry.requestCancel('r1', 'second');
      const request = await registry.readCancelRequest('r1');
      expect(request?.reason).toBe('first');
      expect(Number.isNaN(Date.parse(request!.at))).toBe(false);
      expect(await session.cancelReason()).toBe('first');
      await session.release();
    });

    test('retry links: the runs started from a run, oldest first', async () => {
      const { registry } = await withRun('r1');
      for (const id of ['r2', 'r3']) await registry.createRun({ ...metaFor(id), retry_of: 'r1' }, packetFor(id));
      expect(await registry.readRetries('r1')).toEqual([]);
      await registry.linkRetry('r1', 'r2');
      await registry.linkRetry('r1', 'r3');
      expect(await registry.readRetries('r1')).toEqual(['r2', 'r3']);
      expect(await registry.readRetries('r2')).toEqual([]);
    });

    test('quarantine: recorded once, listed as such, and the run is not opened again', async () => {
      const { registry } = await withRun();
      expect(await registry.readQuarantine('r1')).toBeNull();
      await registry.quarantine('r1', new RegistryCorruptError('snapshot.json', 'not valid JSON'));
      await registry.quarantine('r1', new RegistryCorruptError('journal.jsonl', 'later'));
      const record = await registry.readQuarantine('r1');
      expect(record).toMatchObject({ file: 'snapshot.json' });
      expect(record!.reason).toContain('not valid JSON');
      expect(await registry.listRuns()).toEqual([
        { run_id: 'r1', state: 'quarantined', updated_at: null, blocker: 'registry_corrupt', cost_usd: 0, quarantined: true },
      ]);
      expect((await registry.listRuns({ state: 'quarantined' })).map((r) => r.run_id)).toEqual(['r1']);
      await expect(registry.openRun('r1')).rejects.toBeInstanceOf(RegistryCorruptError);
    });
  });

  sharedRecordsContract(name, { fresh, withRun, child, open: (address) => factory.open(address) });
  statusReadContract(name, () => withRun());

}
