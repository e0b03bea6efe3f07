import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buran, eventsOf, makeSandbox, runIn, statusOf, until, writeConfig, writePacket } from '../helpers/sandbox.ts';

// A run stopped on entering `running` has a current implementer task and no process yet;
// these tests plant what a crashed driver would have left behind, then resume.
async function stoppedAtImplementer() {
  const sb = makeSandbox();
  const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] });
  const first = await runIn(sb, config, writePacket(sb), ['--until', 'running']);
  expect(first.code).toBe(6);
  const taskId: string = (await statusOf(sb, first.runId)).current_task.task_id;
  const taskDir = join(sb.registry, 'runs', first.runId, 'tasks', taskId);
  mkdirSync(taskDir, { recursive: true });
  return { sb, runId: first.runId, taskId, taskDir };
}

const intent = (taskId: string, pid: number, deadline = Date.now() + 60_000) =>
  JSON.stringify({ task_id: taskId, process: { pid, start: null }, started_at: new Date().toISOString(), deadline, interrupted: false });

describe('resume reconciles a dispatch a dead driver left behind', () => {
  it('takes a worker found dead with no completion for an interruption (no driver watched it end) and dispatches it again without spending a retry', async () => {
    const { sb, runId, taskId, taskDir } = await stoppedAtImplementer();
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    writeFileSync(join(taskDir, 'dispatch.json'), intent(taskId, dead));

    const resumed = await buran(['resume', runId, '--registry', sb.registry]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const status = await statusOf(sb, runId);
    expect(status.tasks[0]).toMatchObject({ task_id: taskId, status: 'interrupted', code: 'completion_missing' });
    expect(status.tasks[1]).toMatchObject({ role: 'implementer', attempt: 1, retry: 0, status: 'completed' });
    expect(sb.calls('implementer').map((c) => c.task_id)).toEqual([status.tasks[1].task_id]);
  });

  it('adopts a worker that is still alive: waits for it and ingests its completion without starting another', async () => {
    const { sb, runId, taskId, taskDir } = await stoppedAtImplementer();
    const completion = join(taskDir, 'completion.json');
    const release = sb.path('release');
    const body = JSON.stringify({ task_id: taskId, status: 'completed', summary: 'finished while no driver watched' });
    // The orphan finishes only once the test has seen the resumed driver adopt it: however slow the
    // machine, it is alive when the driver looks.
    const script = `const fs = require('fs'); const t = setInterval(() => { if (fs.existsSync(${JSON.stringify(release)})) { clearInterval(t); fs.writeFileSync(${JSON.stringify(completion)}, ${JSON.stringify(body)}); } }, 20);`;
    const orphan = spawn(process.execPath, ['-e', script], { detached: true, stdio: 'ignore', cwd: sb.dir });
    orphan.unref();
    writeFileSync(join(taskDir, 'dispatch.json'), intent(taskId, orphan.pid!));

    const resuming = buran(['resume', runId, '--registry', sb.registry]);
    const journal = join(sb.registry, 'runs', runId, 'journal.jsonl');
    await until(() => existsSync(journal) && readFileSync(journal, 'utf8').includes('"worker.adopted"'), 60_000);
    writeFileSync(release, '');
    const resumed = await resuming;
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(sb.calls('implementer')).toHaveLength(0);
    const status = await statusOf(sb, runId);
    expect(status.tasks[0]).toMatchObject({ task_id: taskId, status: 'completed', decision: 'accepted' });
    const events = await eventsOf(sb, runId);
    expect(events.some((e) => e.type === 'worker.adopted' && e.task_id === taskId && e.pid === orphan.pid)).toBe(true);
    expect(events.some((e) => e.type === 'worker.started' && e.task_id === taskId)).toBe(false);
  });

  it('kills an adopted worker whose recorded deadline has passed, as worker_timeout', async () => {
    const { sb, runId, taskId, taskDir } = await stoppedAtImplementer();
    const orphan = spawn('sleep', ['30'], { detached: true, stdio: 'ignore', cwd: sb.dir });
    orphan.unref();
    writeFileSync(join(taskDir, 'dispatch.json'), intent(taskId, orphan.pid!, Date.now() + 300));

    const resumed = await buran(['resume', runId, '--registry', sb.registry]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const status = await statusOf(sb, runId);
    expect(status.tasks[0]).toMatchObject({ task_id: taskId, status: 'timed_out', code: 'worker_timeout' });
    expect(() => process.kill(orphan.pid!, 0)).toThrow();
  });
});
