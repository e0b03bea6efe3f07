// The registry port's contract, continued: the fold of a run's journal (what status reads) is the
// fold of the entries readJournal gives, kept for the next reader or not, as the journal grows.
import { describe, expect, test } from 'vitest';
import { JournalFold } from '../../persistence/journal-fold.ts';
import type { Registry } from '../../persistence/port.ts';
import { created, moved } from './registry-fixtures.ts';

const at = (ms: number) => new Date(Date.UTC(2030, 0, 1) + ms);
const seen = (fold: JournalFold) => JSON.stringify({ ...fold.toJSON(), tasks: fold.tasks() });

export function journalFoldContract(name: string, withRun: () => Promise<{ registry: Registry }>): void {
  describe(`${name} registry: the journal's fold`, () => {
    test('is the fold of its entries, kept or not, as the journal grows', async () => {
      const { registry } = await withRun();
      const empty = await registry.foldJournal('r1');
      expect(empty.fold.seq).toBe(0);
      empty.keep();
      const session = await registry.openRun('r1');
      const steps = [
        [created(), moved('packet_received', 'running.awaiting')],
        [{ type: 'task.transition' as const, task_id: 't1', from: null, to: 'dispatched', role: 'implementer' }],
        [{ type: 'task.transition' as const, task_id: 't1', from: 'dispatched', to: 'completed', decision: 'accepted' }, moved('running.awaiting', 'verification.running_commands')],
      ];
      for (const [i, drafts] of steps.entries()) {
        await session.append(drafts, at(i));
        const expected = seen(JournalFold.of(await registry.readJournal('r1')));
        const first = await registry.foldJournal('r1');
        expect(seen(first.fold)).toBe(expected);
        first.keep();
        expect(seen((await registry.foldJournal('r1')).fold)).toBe(expected);
      }
      const { fold } = await registry.foldJournal('r1');
      expect([fold.seq, fold.lastState, fold.epochs, fold.tasks().map((t) => [t.task_id, t.status])]).toEqual([5, 'verification.running_commands', 1, [['t1', 'completed']]]);
      await session.release();
    });
  });
}
