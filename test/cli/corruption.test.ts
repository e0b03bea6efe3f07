import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buran, makeSandbox, runIn, statusOf, writeConfig, writePacket, type Sandbox } from '../helpers/sandbox.ts';

// Each kind of invalid record quarantines its run: files untouched, status exit 5 with
// registry_corrupt, resume exit 5, and the rest of the registry keeps working.
const runDir = (sb: Sandbox, id: string) => join(sb.registry, 'runs', id);
const fingerprint = (dir: string) =>
  Object.fromEntries(readdirSync(dir).filter((f) => lstatSync(join(dir, f)).isFile()).map((f) => [f, createHash('sha256').update(readFileSync(join(dir, f))).digest('hex')]));

async function twoFinishedRuns() {
  const sb = makeSandbox();
  const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] });
  for (const id of ['victim', 'bystander']) expect((await runIn(sb, config, writePacket(sb), ['--run-id', id])).code).toBe(0);
  return { sb, config };
}

const damage: Array<[string, (dir: string) => void]> = [
  ['a truncated snapshot', (d) => { const t = readFileSync(join(d, 'snapshot.json'), 'utf8'); writeFileSync(join(d, 'snapshot.json'), t.slice(0, t.length / 2)); }],
  ['an unparseable snapshot', (d) => writeFileSync(join(d, 'snapshot.json'), 'not json at all')],
  ['an unknown schema_version', (d) => {
    const s = JSON.parse(readFileSync(join(d, 'snapshot.json'), 'utf8'));
    writeFileSync(join(d, 'snapshot.json'), JSON.stringify({ ...s, schema_version: 99 }));
  }],
  ['a bad journal line', (d) => {
    const lines = readFileSync(join(d, 'journal.jsonl'), 'utf8').split('\n');
    lines[3] = '{"seq": 4, "at": "x", "type": ';
    writeFileSync(join(d, 'journal.jsonl'), lines.join('\n'));
  }],
  ['a journal that contradicts itself', (d) => {
    const lines = readFileSync(join(d, 'journal.jsonl'), 'utf8').split('\n');
    const i = lines.findIndex((l) => l.includes('"to":"queued"'));
    lines[i] = lines[i]!.replace('"from":"packet_received"', '"from":"verification.running_commands"');
    writeFileSync(join(d, 'journal.jsonl'), lines.join('\n'));
  }],
  ['a folder in place of run.json', (d) => { rmSync(join(d, 'run.json')); mkdirSync(join(d, 'run.json')); }],
  ['a folder in place of journal.jsonl', (d) => { rmSync(join(d, 'journal.jsonl')); mkdirSync(join(d, 'journal.jsonl')); }],
  // A FIFO would block a plain read forever (and with it status, resume and cancel).
  ['a FIFO in place of journal.jsonl', (d) => { rmSync(join(d, 'journal.jsonl')); execFileSync('mkfifo', [join(d, 'journal.jsonl')]); }],
  ['a symbolic link in place of snapshot.json', (d) => { rmSync(join(d, 'snapshot.json')); symlinkSync('/etc/hostname', join(d, 'snapshot.json')); }],
  ['a snapshot ahead of its journal', (d) => {
    const lines = readFileSync(join(d, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean);
    writeFileSync(join(d, 'journal.jsonl'), `${lines.slice(0, 5).join('\n')}\n`);
  }],
];

describe('quarantine', () => {
  it.each(damage)('%s quarantines the run and leaves its files as they are', async (_kind, harm) => {
    const { sb, config } = await twoFinishedRuns();
    harm(runDir(sb, 'victim'));
    const before = fingerprint(runDir(sb, 'victim'));

    const status = await buran(['status', 'victim', '--json', '--registry', sb.registry]);
    expect(status.code).toBe(5);
    const view = JSON.parse(status.stdout);
    expect(view).toMatchObject({ state: 'quarantined', blocker: { code: 'registry_corrupt' }, next_safe_action: { kind: 'inspect_quarantine' } });
    expect((await buran(['resume', 'victim', '--registry', sb.registry])).code).toBe(5);

    const after = fingerprint(runDir(sb, 'victim'));
    delete after['quarantine.json'];
    expect(after).toEqual(before);
    expect((await buran(['status', 'victim', '--registry', sb.registry])).code).toBe(5);

    const list = await buran(['list', '--registry', sb.registry]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/victim\s+quarantined/);
    expect(list.stdout).toMatch(/bystander\s+ready_for_manual_review/);
    expect((await statusOf(sb, 'bystander')).state).toBe('ready_for_manual_review');
    expect((await runIn(sb, config, writePacket(sb), ['--run-id', 'newcomer'])).code).toBe(0);
  });
});
