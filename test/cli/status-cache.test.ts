// `buran status` keeps the fold of a run's journal in status-cache.json, keyed by the journal's
// bytes. These tests show it is only ever a cache: whatever its state, status prints byte for byte
// what it prints with no cache at all (a registry no one can write to keeps none).
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buran, makeSandbox, runIn, writeConfig, writePacket, type Sandbox } from '../helpers/sandbox.ts';
import { readOnly } from '../helpers/read-only-registry.ts';

const CACHE = 'status-cache.json';
const runDir = (sb: Sandbox, id: string) => join(sb.registry, 'runs', id);
const cachePath = (sb: Sandbox, id: string) => join(runDir(sb, id), CACHE);
const journalPath = (sb: Sandbox, id: string) => join(runDir(sb, id), 'journal.jsonl');
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const linesOf = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean);

/** A finished run that went round the fix loop once: implementer, fixer, reviewer, two epochs. */
async function finishedRun(): Promise<{ sb: Sandbox; id: string }> {
  const sb = makeSandbox();
  writeFileSync(join(sb.workspace, 'check-exit.txt'), '1,0');
  const config = writeConfig(sb, { implementer: ['ok'], fixer: ['ok'], reviewer: ['pass'] });
  const run = await runIn(sb, config, writePacket(sb), ['--run-id', 'loop']);
  expect(run.code, run.stderr).toBe(0);
  return { sb, id: 'loop' };
}

/** `status` and `status --json` as printed. */
async function statusOutputs(sb: Sandbox, id: string): Promise<{ text: string; json: string }> {
  const text = await buran(['status', id, '--registry', sb.registry]);
  const json = await buran(['status', id, '--json', '--registry', sb.registry]);
  expect(text.code, text.stderr).toBe(0);
  expect(json.code, json.stderr).toBe(0);
  return { text: text.stdout, json: json.stdout };
}

/** What status prints with no cache: on the registry mounted read-only, where none can be made. */
function uncached(sb: Sandbox, id: string): { text: string; json: string } {
  const [text, json] = readOnly(sb, [['status', id, '--registry', '"$REG"'], ['status', id, '--json', '--registry', '"$REG"']]);
  expect(text!.code, text!.stderr).toBe(0);
  expect(json!.code, json!.stderr).toBe(0);
  return { text: text!.stdout, json: json!.stdout };
}

/** The cache as written: its header line, the journal's fold and the checked records. */
interface Cache {
  header: Record<string, any>;
  fold: Record<string, any>;
  records: Record<string, any>;
}

function readCache(sb: Sandbox, id: string): Cache {
  const [header, fold, records] = readFileSync(cachePath(sb, id), 'utf8').split('\n');
  return { header: JSON.parse(header!), fold: JSON.parse(fold!), records: JSON.parse(records!) };
}

/** Writes a cache whose lines hash as its header says (whatever they hold). */
function writeCache(sb: Sandbox, id: string, { header, fold, records }: Cache): void {
  const [foldLine, recordsLine] = [JSON.stringify(fold), JSON.stringify(records)];
  const kept = { ...header, fold: { ...header.fold, line: sha256(foldLine) }, records: { ...header.records, line: sha256(recordsLine) } };
  writeFileSync(cachePath(sb, id), `${JSON.stringify(kept)}\n${foldLine}\n${recordsLine}`);
}

describe('the status cache', () => {
  it('is written by the first status, read by the next, and changes nothing printed', async () => {
    const { sb, id } = await finishedRun();
    const none = uncached(sb, id);
    expect(existsSync(cachePath(sb, id)), 'a read-only registry keeps no cache').toBe(false);
    expect(JSON.parse(none.json)).toMatchObject({ state: 'ready_for_manual_review', epoch: 2 });

    const cold = await statusOutputs(sb, id);
    const journal = readFileSync(journalPath(sb, id));
    const cache = readCache(sb, id);
    const { header, fold } = cache;
    expect(header).toMatchObject({ format: 'buran status cache 2', fold: { bytes: journal.length, journal: sha256(journal) } });
    expect(fold.seq).toBe(journal.toString().split('\n').filter(Boolean).length);
    const warm = await statusOutputs(sb, id);
    expect(cold).toEqual(none);
    expect(warm).toEqual(none);

    // Proof the warm status reads the cache and not the journal: a task changed in the cache alone
    // (its hashes kept right) is what status shows.
    // A task is kept as its nine fields: task_id, role, attempt, epoch, retry, status, …
    const task = fold.records.find((r: unknown[]) => r[1] === 'fixer');
    task[5] = 'timed_out';
    writeCache(sb, id, cache);
    const fixer = JSON.parse((await statusOutputs(sb, id)).json).tasks.find((t: { role: string }) => t.role === 'fixer');
    expect(fixer.status).toBe('timed_out');
  }, 60_000);

  it('reads on from the cache as the journal grows, and reads a journal rewritten at the same length whole', async () => {
    const { sb, id } = await finishedRun();
    const journal = journalPath(sb, id);
    const lines = linesOf(journal);
    // The journal as it was part way, then grown back line by line to the end.
    writeFileSync(journal, `${lines.slice(0, 9).join('\n')}\n`);
    rmSync(join(runDir(sb, id), 'snapshot.json'));
    await statusOutputs(sb, id);
    expect(readCache(sb, id).fold.seq).toBe(9);
    for (const upTo of [10, 14, lines.length]) {
      appendFileSync(journal, `${lines.slice(readCache(sb, id).fold.seq, upTo).join('\n')}\n`);
      expect(await statusOutputs(sb, id)).toEqual(uncached(sb, id));
      expect(readCache(sb, id).fold.seq).toBe(upTo);
    }

    // The same bytes count, other content: a reviewer's verdict changed in place.
    const before = readFileSync(journal, 'utf8');
    const after = before.split('\n').map((line) => (line.includes('"type":"task.transition"') ? line.replace('"verdict":"PASS"', '"verdict":"FAIL"') : line)).join('\n');
    expect(after).not.toBe(before);
    expect(after.length).toBe(before.length);
    writeFileSync(journal, after);
    const rewritten = await statusOutputs(sb, id);
    expect(rewritten).toEqual(uncached(sb, id));
    expect(JSON.parse(rewritten.json).tasks.find((t: { role: string }) => t.role === 'reviewer').verdict).toBe('FAIL');
    expect(readCache(sb, id).header.fold.journal).toBe(sha256(after));
  }, 90_000);

  it('takes run.json and the snapshot from it only while each is the very bytes it was checked from', async () => {
    const { sb, id } = await finishedRun();
    const none = uncached(sb, id);
    await statusOutputs(sb, id);
    const cache = readCache(sb, id);
    expect(cache.header.records).toMatchObject({ meta: sha256(readFileSync(join(runDir(sb, id), 'run.json'))), snapshot: sha256(readFileSync(join(runDir(sb, id), 'snapshot.json'))) });

    // Proof the records come from the cache: a value changed there alone is what status shows.
    writeCache(sb, id, { ...cache, records: { ...cache.records, meta: { ...cache.records.meta, workspace: '/kept/elsewhere' } } });
    expect(JSON.parse((await statusOutputs(sb, id)).json).workspace.path).toBe('/kept/elsewhere');

    // run.json with other bytes (the same value, spaced otherwise) is checked again, and shown as it is.
    const meta = join(runDir(sb, id), 'run.json');
    writeFileSync(meta, JSON.stringify(JSON.parse(readFileSync(meta, 'utf8'))));
    expect(await statusOutputs(sb, id)).toEqual(none);
    expect(readCache(sb, id).header.records.meta).toBe(sha256(readFileSync(meta)));

    // A damaged record behind a warm cache is damaged: the cache hides nothing.
    const snapshot = join(runDir(sb, id), 'snapshot.json');
    writeFileSync(snapshot, readFileSync(snapshot, 'utf8').replace('"schema_version":', '"schema_version":"x","was":'));
    const damaged = await buran(['status', id, '--json', '--registry', sb.registry]);
    expect(damaged.code).toBe(5);
    expect(JSON.parse(damaged.stdout)).toMatchObject({ state: 'quarantined', blocker: { code: 'registry_corrupt' } });
  }, 60_000);

  it('counts only whole lines of a journal a live driver is appending to; with no driver, half a line is what resume refuses', async () => {
    const { sb, id } = await finishedRun();
    const journal = journalPath(sb, id);
    const text = readFileSync(journal, 'utf8');
    const count = linesOf(journal).length;
    const next = `${JSON.stringify({ seq: count + 1, at: new Date().toISOString(), type: 'lease.release_failed', message: 'disk full' })}\n`;
    const without = uncached(sb, id);
    appendFileSync(journal, next.slice(0, 20));
    // No one drives the run: the cut-short line is corruption, as resume would find it.
    const torn = await buran(['status', id, '--json', '--registry', sb.registry]);
    expect(torn.code).toBe(5);
    expect(JSON.parse(torn.stdout)).toMatchObject({ state: 'quarantined', blocker: { code: 'registry_corrupt' } });
    expect(torn.stdout).toContain(`line ${count + 1} is not valid JSON`);
    // A live process holds the run's lock (this test's): half of the next line is an append under
    // way, and status reads up to the line before it.
    writeFileSync(join(runDir(sb, id), 'lock'), JSON.stringify({ pid: process.pid, start: null }));
    expect(await statusOutputs(sb, id)).toEqual(without);
    expect(readCache(sb, id).header.fold.bytes).toBe(text.length);
    appendFileSync(journal, next.slice(20));
    expect(await statusOutputs(sb, id)).toEqual(uncached(sb, id));
    expect(readCache(sb, id).header.fold.bytes).toBe(text.length + next.length);
    expect(readCache(sb, id).fold.seq).toBe(count + 1);
  }, 60_000);

  it('reports an entry its type does not allow as corrupt, as resume and events do, and keeps the cache as it was', async () => {
    const { sb, id } = await finishedRun();
    await statusOutputs(sb, id);
    const kept = readCache(sb, id);
    const count = kept.fold.seq;
    const journal = readFileSync(journalPath(sb, id));
    // Each envelope is sound; a task report without its task id (what status keys tasks on), and a
    // lease failure without its message (a field status never reads).
    for (const [entry, field] of [[{ type: 'worker.finished', kind: 'exited', cost_usd: 2 }, 'task_id'], [{ type: 'lease.release_failed' }, 'message']] as const) {
      // resume set the run aside for the entry before: the marker goes, to read this one afresh.
      rmSync(join(runDir(sb, id), 'quarantine.json'), { force: true });
      writeFileSync(journalPath(sb, id), Buffer.concat([journal, Buffer.from(`${JSON.stringify({ seq: count + 1, at: new Date().toISOString(), ...entry })}\n`)]));
      for (const command of [['status', id, '--json'], ['events', id, '--json'], ['resume', id, '--json']]) {
        const out = await buran([...command, '--registry', sb.registry]);
        expect(out.code, `${command[0]}: ${out.stderr}`).toBe(5);
        expect(out.stdout, command[0]).toContain(`line ${count + 1}: ${field}`);
      }
      expect(readCache(sb, id)).toEqual(kept);
    }
  }, 60_000);

  it('ignores and rebuilds a damaged, foreign, stale-coded, linked or odd cache', async () => {
    const { sb, id } = await finishedRun();
    const none = uncached(sb, id);
    await statusOutputs(sb, id);
    const good = readCache(sb, id);
    const outside = sb.path('outside.txt');
    writeFileSync(outside, 'not a cache\n');
    const damages: Array<[string, () => void]> = [
      ['cut short', () => writeFileSync(cachePath(sb, id), readFileSync(cachePath(sb, id)).subarray(0, 200))],
      ['not JSON', () => writeFileSync(cachePath(sb, id), 'garbage\n{')],
      ['lines that are not the ones hashed', () => {
        const text = readFileSync(cachePath(sb, id), 'utf8');
        writeFileSync(cachePath(sb, id), text.replaceAll('"ready_for_manual_review"', '"failed_execution"'));
      }],
      ['another format', () => writeCache(sb, id, { ...good, header: { ...good.header, format: 'some other cache' } })],
      ['a fold made by other code', () => writeCache(sb, id, { ...good, header: { ...good.header, fold: { ...good.header.fold, code: sha256('other code') } } })],
      ['a fold of another shape', () => writeCache(sb, id, { ...good, fold: { ...good.fold, records: [['t1']] } })],
      ['longer than the journal', () => writeCache(sb, id, { ...good, header: { ...good.header, fold: { ...good.header.fold, bytes: good.header.fold.bytes + 10 } } })],
      ['records kept by another build', () => writeCache(sb, id, { ...good, header: { ...good.header, records: { ...good.header.records, build: sha256('another build') } } })],
      ['a symbolic link to a file elsewhere', () => { rmSync(cachePath(sb, id)); symlinkSync(outside, cachePath(sb, id)); }],
      ['a FIFO', () => { rmSync(cachePath(sb, id)); execFileSync('mkfifo', [cachePath(sb, id)]); }],
    ];
    for (const [what, damage] of damages) {
      damage();
      expect(await statusOutputs(sb, id), what).toEqual(none);
      expect(lstatSync(cachePath(sb, id)).isFile(), what).toBe(true);
      expect(readCache(sb, id), what).toEqual(good);
    }
    expect(readFileSync(outside, 'utf8')).toBe('not a cache\n');

    // A folder in its place cannot be replaced: status works without a cache.
    rmSync(cachePath(sb, id));
    mkdirSync(cachePath(sb, id));
    expect(await statusOutputs(sb, id)).toEqual(none);
    expect(lstatSync(cachePath(sb, id)).isDirectory()).toBe(true);
  }, 90_000);

  it('is not written for a run whose records are damaged', async () => {
    const { sb, id } = await finishedRun();
    const journal = journalPath(sb, id);
    const lines = linesOf(journal);
    // The snapshot is ahead of a journal cut short: the run is reported quarantined, its folder as it was.
    writeFileSync(journal, `${lines.slice(0, 5).join('\n')}\n`);
    const status = await buran(['status', id, '--json', '--registry', sb.registry]);
    expect(status.code).toBe(5);
    expect(JSON.parse(status.stdout)).toMatchObject({ state: 'quarantined', blocker: { code: 'registry_corrupt' } });
    expect(existsSync(cachePath(sb, id))).toBe(false);
  }, 60_000);
});
