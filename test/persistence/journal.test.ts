import { describe, expect, it } from 'vitest';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openJournal, readJournal } from '../../persistence/journal.ts';
import { RegistryCorruptError } from '../../persistence/errors.ts';
import { makeTempDir } from '../helpers/temp.ts';

const fresh = () => join(makeTempDir('buran-journal-'), 'journal.jsonl');

describe('journal', () => {
  it('numbers entries contiguously across reopenings', async () => {
    const path = fresh();
    const first = await openJournal(path);
    await first.append([{ type: 'lease.renew_failed', message: 'a' }, { type: 'lease.renew_failed', message: 'b' }], new Date());
    await first.close();
    const second = await openJournal(path);
    expect(second.lastSeq).toBe(2);
    await second.append([{ type: 'agent.pause', until: 'c' }], new Date());
    await second.close();
    expect((await readJournal(path)).map((e) => [e.seq, e.type])).toEqual([[1, 'lease.renew_failed'], [2, 'lease.renew_failed'], [3, 'agent.pause']]);
  });

  it.each([
    ['a line that is not JSON', '{"seq":1,"at":"x","type":"agent.pause","until":"u"}\n{"seq":2,\n'],
    ['a gap in the sequence', '{"seq":1,"at":"x","type":"agent.pause","until":"u"}\n{"seq":3,"at":"x","type":"agent.pause","until":"u"}\n'],
    ['an entry without a type', '{"seq":1,"at":"x"}\n'],
    ['an entry type the journal does not know', '{"seq":1,"at":"x","type":"made.up"}\n'],
  ])('reports %s as registry corruption', async (_name, text) => {
    const path = fresh();
    writeFileSync(path, text);
    await expect(readJournal(path)).rejects.toBeInstanceOf(RegistryCorruptError);
    await expect(openJournal(path)).rejects.toBeInstanceOf(RegistryCorruptError);
  });

  it('a known type with a field of the wrong shape is refused by a driver opening the journal (a reader checks the envelope only)', async () => {
    const path = fresh();
    writeFileSync(path, '{"seq":1,"at":"x","type":"worker.started","task_id":"t1","role":"implementer","pid":"not a number"}\n');
    expect(await readJournal(path)).toHaveLength(1);
    await expect(openJournal(path)).rejects.toThrow(/line 1: pid/);
  });

  it('reads an absent journal as empty', async () => {
    expect(await readJournal(fresh())).toEqual([]);
    const path = fresh();
    appendFileSync(path, '');
    expect(await readJournal(path)).toEqual([]);
  });
});
