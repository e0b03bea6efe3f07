// Issue 16, hangs and unbounded sizes: the completion slot is read only as a regular file of its
// own, never through a link, capped; what a worker writes is cut before it reaches the records.
import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buran, makeSandbox, ROOT, runIn, statusOf, writeConfig, writePacket, type Sandbox } from '../helpers/sandbox.ts';


const HOSTILE = join(ROOT, 'test', 'fixtures', 'hostile-worker.mjs');
const SECRET = 'planted-secret-4f9a8e7d6c';

/** A config whose implementer plays `modes` of the hostile fixture (the reviewer passes). */
function hostileConfig(sb: Sandbox, modes: string[], retries: number): string {
  const path = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }, { limits: { max_fix_attempts: 0, max_dispatch_retries: retries } });
  const config = JSON.parse(readFileSync(path, 'utf8'));
  config.workers.implementer = {
    command: ['node', HOSTILE, '--log', sb.path('implementer.calls.jsonl'), '--sequence', modes.join(','), '--outside', sb.path('outside.json')],
    env: ['BURAN_TEST_SECRET_TOKEN'],
  };
  writeFileSync(path, JSON.stringify(config));
  return path;
}

const firstTask = async (sb: Sandbox, runId: string) => (await statusOf(sb, runId)).tasks[0];

describe('the completion slot', () => {
  it.each([
    ['a FIFO (a plain read would block the driver forever)', 'fifo', /is a FIFO, not a regular file/],
    ['a symbolic link to /dev/zero', 'zero', /is a symbolic link/],
    ['a folder', 'folder', /is a folder, not a regular file/],
    ['larger than 1 MiB', 'oversized', /larger than 1048576 bytes/],
  ])('%s is completion_invalid, and the retry goes on', async (_name, mode, reason) => {
    const sb = makeSandbox();
    const run = await runIn(sb, hostileConfig(sb, [mode, 'ok'], 1), writePacket(sb));
    expect(run.code, run.stderr).toBe(0);
    expect(await firstTask(sb, run.runId)).toMatchObject({ status: 'failed', code: 'completion_invalid' });
    const events = (await buran(['events', run.runId, '--json', '--registry', sb.registry])).stdout;
    expect(events).toMatch(reason);
  });

  it.each([['symlink-outside'], ['hardlink-outside']])('a %s file is not trusted, and the file outside is never rewritten', async (mode) => {
    const sb = makeSandbox();
    const run = await runIn(sb, hostileConfig(sb, [mode], 0), writePacket(sb), [], { BURAN_TEST_SECRET_TOKEN: SECRET });
    expect(run.code, run.stderr).toBe(3);
    const status = await statusOf(sb, run.runId);
    expect(status.blocker).toMatchObject({ code: 'retry_exhausted', cause: 'completion_invalid' });
    expect(status.blocker.message).toMatch(/link/);
    // The file outside the registry still holds what the worker wrote (the secret included): not rewritten.
    expect(readFileSync(sb.path('outside.json'), 'utf8')).toContain(SECRET);
  });

  it('what a completion carries into the records is cut: summary, findings (their number and size)', async () => {
    const sb = makeSandbox();
    const run = await runIn(sb, hostileConfig(sb, ['long-summary'], 0), writePacket(sb));
    expect(run.code, run.stderr).toBe(0);
    const outcome = JSON.parse(readFileSync(join(sb.registry, 'runs', run.runId, 'tasks', 't1-implementer', 'outcome.json'), 'utf8'));
    const completion = outcome.completion.completion;
    expect(Buffer.byteLength(completion.summary)).toBeLessThanOrEqual(8 * 1024);
    expect(completion.summary).toMatch(/\[cut: 614400 bytes, 8192 kept\]$/);
    expect(completion.findings).toHaveLength(51);
    expect(completion.findings.at(-1).message).toMatch(/30 more finding\(s\) were cut/);
    for (const f of completion.findings) expect(Buffer.byteLength(f.message)).toBeLessThanOrEqual(4 * 1024);
    expect(statSync(join(sb.registry, 'runs', run.runId, 'snapshot.json')).size).toBeLessThan(64 * 1024);
  });
});

describe('verification output', () => {
  it('a 20 MB line becomes a bounded finding; the snapshot and the fixer\'s task file stay small', async () => {
    const sb = makeSandbox();
    writeFileSync(join(sb.workspace, 'noisy.mjs'), "import { existsSync } from 'node:fs';\nif (existsSync('fixed.txt')) process.exit(0);\nprocess.stdout.write('y'.repeat(20 * 1024 * 1024) + '\\n');\nconsole.error('expected 3 widgets, got 2');\nprocess.exit(1);\n");
    const config = writeConfig(sb, { implementer: ['ok'], fixer: ['ok'], reviewer: ['pass'], args: { fixer: ['--touch', 'fixed.txt'] } },
      { verification: { allowed_commands: ['node noisy.mjs'] } });
    const run = await runIn(sb, config, writePacket(sb, { verification: { commands: ['node noisy.mjs'] } }));
    expect(run.code, run.stderr).toBe(0);
    const runDir = join(sb.registry, 'runs', run.runId);
    const report = JSON.parse(readFileSync(join(runDir, 'epochs', '1', 'verification.json'), 'utf8'));
    const finding = report.findings[0].message as string;
    expect(Buffer.byteLength(finding)).toBeLessThanOrEqual(20 * 1024);
    expect(finding).toContain('expected 3 widgets, got 2');
    expect(finding).toMatch(/more characters|omitted/);
    // The full output is still in the log.
    expect(statSync(join(runDir, 'epochs', '1', 'command-1.log')).size).toBeGreaterThan(20 * 1024 * 1024);
    expect(statSync(join(runDir, 'snapshot.json')).size).toBeLessThan(128 * 1024);
    const fixerTask = readdirSync(join(runDir, 'tasks')).find((t) => t.endsWith('-fixer'))!;
    expect(statSync(join(runDir, 'tasks', fixerTask, 'task.json')).size).toBeLessThan(128 * 1024);
  });
});
