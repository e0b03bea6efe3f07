// Issue 16: output is redacted as it is written, by a relay that outlives the driver: output a
// worker's escaped grandchild writes after the worker exits, and output written after a resume
// from a shell that lacks the secret, are redacted too; the driver never waits on that pipe.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buran, CLI, makeSandbox, processGone, ROOT, runIn, until, writeConfig, writePacket, type Sandbox } from '../helpers/sandbox.ts';

const alive: number[] = [];
afterEach(() => {
  for (const pid of alive.splice(0)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
});

const HOSTILE = join(ROOT, 'test', 'fixtures', 'hostile-worker.mjs');
const SECRET = 'planted-secret-4f9a8e7d6c';

function config(sb: Sandbox, mode: string): string {
  const path = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] });
  const c = JSON.parse(readFileSync(path, 'utf8'));
  c.workers.implementer = { command: ['node', HOSTILE, '--log', sb.path('implementer.calls.jsonl'), '--sequence', mode, '--outside', sb.path('pid')], env: ['BURAN_TEST_SECRET_TOKEN'] };
  writeFileSync(path, JSON.stringify(c));
  return path;
}
const logOf = (sb: Sandbox, runId: string) => readFileSync(join(sb.registry, 'runs', runId, 'tasks', 't1-implementer', 'output.log'), 'utf8');

describe('the log relay', () => {
  it('redacts what an escaped grandchild (one that also shed the task\'s ids) prints after the worker exits, and the run does not wait for it', async () => {
    const sb = makeSandbox();
    const started = Date.now();
    const run = await runIn(sb, config(sb, 'late-leak'), writePacket(sb), ['--run-id', 'late'], { BURAN_TEST_SECRET_TOKEN: SECRET });
    const grandchild = Number(readFileSync(sb.path('pid'), 'utf8'));
    alive.push(grandchild);
    expect(run.code, run.stderr).toBe(0);
    // The grandchild holds the pipe for 30 s; the run ended long before (bounded by the kill grace).
    expect(Date.now() - started).toBeLessThan(25_000);
    expect(processGone(grandchild)).toBe(false);
    const log = logOf(sb, 'late');
    expect(log).toContain('late: [REDACTED]');
    expect(log).not.toContain(SECRET);
  });

  it('keeps redacting a worker\'s output after its driver is killed and the run is resumed from a shell without the secret', async () => {
    const sb = makeSandbox();
    const driver = spawn(process.execPath, [CLI, 'run', writePacket(sb), '--config', config(sb, 'slow-leak'), '--workspace', sb.workspace, '--registry', sb.registry, '--run-id', 'cut'], {
      stdio: 'ignore', env: { ...process.env, BURAN_KILL_GRACE_MS: '300', BURAN_TEST_SECRET_TOKEN: SECRET },
    });
    await until(() => existsSync(sb.path('pid')));
    const worker = Number(readFileSync(sb.path('pid'), 'utf8'));
    alive.push(worker);
    driver.kill('SIGKILL');
    await new Promise((resolve) => driver.on('exit', resolve));
    const env = { ...process.env };
    delete env.BURAN_TEST_SECRET_TOKEN;
    const resumed = await buran(['resume', 'cut', '--registry', sb.registry], { env: env as Record<string, string> });
    expect(resumed.code, resumed.stderr).toBe(0);
    const log = logOf(sb, 'cut');
    expect(log).toContain('tick 19: [REDACTED]');
    expect(log).not.toContain(SECRET);
    expect(sb.calls('implementer')).toHaveLength(1);
  });

  it('lets workers write to /dev/stderr and /dev/stdout (their output is a plain file: >> appends)', async () => {
    const sb = makeSandbox();
    const run = await runIn(sb, config(sb, 'dev-stderr'), writePacket(sb), ['--run-id', 'devs']);
    expect(run.code, run.stderr).toBe(0);
    const log = logOf(sb, 'devs');
    expect(log).toContain('through-dev-stderr');
    expect(log).toContain('through-dev-stdout');
  });
});
