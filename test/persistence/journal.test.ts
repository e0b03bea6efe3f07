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
    await first.append([{ type: 'a' }, { type: 'b' }], new Date());
    await first.close();
    const second = await openJournal(path);
    expect(second.lastSeq).toBe(2);
    await second.append([{ type: 'c' }], new Date());
    await second.close();
    expect((await readJournal(path)).map((e) => [e.seq, e.type])).toEqual([[1, 'a'], [2, 'b'], [3, 'c']]);
  });

  it.each([
    ['a line that is not JSON', '{"seq":1,"at":"x","type":"a"}\n{"seq":2,\n'],
    ['a gap in the sequence', '{"seq":1,"at":"x","type":"a"}\n{"seq":3,"at":"x","type":"b"}\n'],
    ['an entry without a type', '{"seq":1,"at":"x"}\n'],
  ])('reports %s as registry corruption', async (_name, text) => {
    const path = fresh();
    writeFileSync(path, text);
    await expect(readJournal(path)).rejects.toBeInstanceOf(RegistryCorruptError);
    await expect(openJournal(path)).rejects.toBeInstanceOf(RegistryCorruptError);
  });

  it('reads an absent journal as empty', async () => {
    expect(await readJournal(fresh())).toEqual([]);
    const path = fresh();
    appendFileSync(path, '');
    expect(await readJournal(path)).toEqual([]);
  });
});
