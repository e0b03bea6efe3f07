// The registry port's contract, continued: what status reads of a run (readForStatus) is what
// readSnapshot, readJournal and readMeta give, kept for the next reader or not, as the journal grows.
import { describe, expect, test } from 'vitest';
import { JournalFold } from '../../persistence/journal-fold.ts';
import { RegistryCorruptError } from '../../persistence/errors.ts';
import type { Registry } from '../../persistence/port.ts';
import { created, envelopeFor, moved } from './registry-fixtures.ts';

const at = (ms: number) => new Date(Date.UTC(2030, 0, 1) + ms);
const seen = (fold: JournalFold) => JSON.stringify({ ...fold.toJSON(), tasks: fold.tasks() });

export function statusReadContract(name: string, withRun: () => Promise<{ registry: Registry }>): void {
  describe(`${name} registry: what status reads`, () => {
    test('is what the records say, kept or not, as the journal grows and the snapshot changes', async () => {
      const { registry } = await withRun();
      const empty = await registry.readForStatus('r1');
      expect([empty.fold.seq, empty.snapshot, empty.meta]).toEqual([0, null, await registry.readMeta('r1')]);
      empty.keep();
      const session = await registry.openRun('r1');
      const steps = [
        [created(), moved('packet_received', 'running.awaiting')],
        [{ type: 'task.transition' as const, task_id: 't1', from: null, to: 'dispatched', role: 'implementer' }],
        [{ type: 'task.transition' as const, task_id: 't1', from: 'dispatched', to: 'completed', decision: 'accepted' }, moved('running.awaiting', 'verification.running_commands')],
      ];
      for (const [i, drafts] of steps.entries()) {
        const entries = await session.append(drafts, at(i));
        await session.saveSnapshot(envelopeFor('r1', entries.at(-1)!.seq, 'running', at(i).toISOString()));
        for (let read = 0; read < 2; read++) {
          const got = await registry.readForStatus('r1');
          expect(seen(got.fold)).toBe(seen(JournalFold.of(await registry.readJournal('r1'))));
          expect(got.snapshot).toEqual(await registry.readSnapshot('r1'));
          expect(got.meta).toEqual(await registry.readMeta('r1'));
          got.keep();
        }
      }
      const { fold } = await registry.readForStatus('r1');
      expect([fold.seq, fold.lastState, fold.epochs, fold.tasks().map((t) => [t.task_id, t.status])]).toEqual([5, 'verification.running_commands', 1, [['t1', 'completed']]]);
      await session.release();
    });

    test('a snapshot ahead of its journal is RegistryCorruptError', async () => {
      const { registry } = await withRun();
      const session = await registry.openRun('r1');
      await session.append([created()], at(0));
      await session.saveSnapshot(envelopeFor('r1', 3, 'running', at(0).toISOString()));
      await expect(registry.readForStatus('r1')).rejects.toBeInstanceOf(RegistryCorruptError);
      await session.release();
    });
  });
}
