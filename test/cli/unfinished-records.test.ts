// Issue 14: a damaged record of each kind on an unfinished run. The driver was killed at a write
// (BURAN_FAULT_KILL), so resuming must read the damaged record; it quarantines the run (exit 5),
// leaves every file as it is, and starts no worker a second time.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buran, eventsOf, makeSandbox, runIn, until, writeConfig, writePacket, type Sandbox } from '../helpers/sandbox.ts';

type Entry = Record<string, any>;

/** Where the driver is killed (the journal entry whose write it dies after) and which record is then damaged. */
const CASES: Array<{ record: string; file: string; killAfter: (e: Entry) => boolean; harm: (text: string) => string }> = [
  { record: 'run.json (the run record)', file: 'run.json', killAfter: (e) => e.type === 'worker.started', harm: (t) => t.slice(0, 20) },
  { record: 'packet.json (the frozen packet)', file: 'packet.json', killAfter: (e) => e.type === 'worker.started', harm: () => '[1, 2' },
  { record: 'snapshot.json', file: 'snapshot.json', killAfter: (e) => e.type === 'worker.finished', harm: (t) => t.replace('"seq":', '"seq":"x",') },
  { record: 'journal.jsonl', file: 'journal.jsonl', killAfter: (e) => e.type === 'worker.finished', harm: (t) => t.replace('"type":"worker.started"', '"type":"worker.begun"') },
  { record: 'a dispatch intent', file: 'tasks/t1-implementer/dispatch.json', killAfter: (e) => e.type === 'worker.started', harm: () => '{"task_id": "t1-implementer", "process": 7' },
  { record: 'a worker outcome', file: 'tasks/t1-implementer/outcome.json', killAfter: (e) => e.type === 'worker.finished', harm: () => '{"kind": "vanished"}' },
  { record: 'a verification report', file: 'epochs/1/verification.json', killAfter: (e) => e.type === 'run.transition' && e.from.startsWith('verification'), harm: () => '{"verdict": "MAYBE", "commands": []}' },
  { record: 'a handoff record', file: 'handoff/handoff.json', killAfter: (e) => e.type === 'run.transition' && e.to === 'ready_for_manual_review', harm: (t) => t.slice(0, t.length - 3) },
];

const runDir = (sb: Sandbox, id: string) => join(sb.registry, 'runs', id);
// The run's records (not what its workers write beside them: the worker the crash orphaned may
// still be finishing). The snapshot is left out: the resumed driver may save the state it
// restored before it reads the damaged record; what it must not do is write past it.
const WORKERS_OWN = new Set(['completion.json', 'task.json', 'quarantine.json', 'snapshot.json']);
function fingerprint(dir: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(dir, rel))) {
    const path = join(rel, name);
    const info = lstatSync(join(dir, path));
    if (info.isDirectory()) Object.assign(out, fingerprint(dir, path));
    else if ((name.endsWith('.json') || name.endsWith('.jsonl')) && !WORKERS_OWN.has(name)) out[path] = createHash('sha256').update(readFileSync(join(dir, path))).digest('hex');
  }
  return out;
}

describe('a damaged record of an unfinished run', () => {
  it.each(CASES)('$record: resume quarantines the run (exit 5), changes no file and starts no worker again', async ({ file, killAfter, harm }) => {
    const sb = makeSandbox();
    const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] });
    const packet = writePacket(sb);
    // Where the entry falls in this run's journal, from an uninterrupted run of the same packet.
    expect((await runIn(sb, config, packet, ['--run-id', 'ref'])).code).toBe(0);
    const ref = await eventsOf(sb, 'ref');
    const seq = ref.find(killAfter)!.seq;
    // The workers the crashed run starts before it dies: the reference's, up to that entry.
    const startedBy = (role: string, upTo: number) => ref.filter((e) => e.type === 'worker.started' && e.role === role && e.seq <= upTo).length;
    const calls = () => ({ implementer: sb.calls('implementer').length, reviewer: sb.calls('reviewer').length });
    const starts = { implementer: calls().implementer + startedBy('implementer', seq), reviewer: calls().reviewer + startedBy('reviewer', seq) };

    const crashed = await runIn(sb, config, packet, ['--run-id', 'cut'], { BURAN_FAULT_KILL: `journal:${seq}` });
    expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
    const path = join(runDir(sb, 'cut'), file);
    expect(existsSync(path), `${file} is there to damage`).toBe(true);
    writeFileSync(path, harm(readFileSync(path, 'utf8')));
    const before = fingerprint(runDir(sb, 'cut'));
    const damaged = readFileSync(path, 'utf8');
    // The worker the crash orphaned has logged its start (it runs on without its driver).
    await until(() => calls().implementer === starts.implementer && calls().reviewer === starts.reviewer);

    const resumed = await buran(['resume', 'cut', '--registry', sb.registry]);
    expect(resumed.code, resumed.stderr).toBe(5);
    expect(resumed.stderr).toContain(file.split('/').at(-1)!);
    expect(resumed.stderr).not.toMatch(/internal error/);
    expect(existsSync(join(runDir(sb, 'cut'), 'quarantine.json'))).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe(damaged);
    expect(fingerprint(runDir(sb, 'cut'))).toEqual(before);
    expect(calls()).toEqual(starts);
    const status = await buran(['status', 'cut', '--json', '--registry', sb.registry]);
    expect(status.code).toBe(5);
    expect(JSON.parse(status.stdout)).toMatchObject({ state: 'quarantined', blocker: { code: 'registry_corrupt' } });
  });
});
