import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buran, CLI, eventsOf, makeSandbox, processGone, ROOT, runIn, statusOf, until, writeConfig, writePacket, WORKER, type Sandbox,
} from '../helpers/sandbox.ts';

// Output is the heartbeat: a worker with `idle_timeout_ms` that writes nothing for that long is
// killed as timed out (adapters/process-group.ts watches its output.log), long before timeout_ms.

const CHATTY = join(ROOT, 'test', 'fixtures', 'chatty-worker.mjs');
const LONG_TIMEOUT = 60_000;

/** A config whose implementer is the chatty fixture (reviewer: the scripted fixture's PASS). */
function chattyConfig(sb: Sandbox, chattyArgs: string[], worker: Record<string, unknown>): string {
  const path = sb.path('chatty.config.json');
  writeFileSync(path, JSON.stringify({
    workers: {
      implementer: { command: ['node', CHATTY, ...chattyArgs], timeout_ms: LONG_TIMEOUT, ...worker },
      reviewer: { command: ['node', WORKER, '--log', sb.path('reviewer.calls.jsonl'), '--sequence', 'pass'] },
    },
    verification: { allowed_commands: ['node check.mjs'] },
    limits: { max_fix_attempts: 0, max_dispatch_retries: 0 },
  }));
  return path;
}

const workerSpan = (events: Array<Record<string, any>>, taskId: string) => {
  const started = events.find((e) => e.type === 'worker.started' && e.task_id === taskId);
  const finished = events.find((e) => e.type === 'worker.finished' && e.task_id === taskId);
  expect(started, JSON.stringify(events)).toBeDefined();
  expect(finished, JSON.stringify(events)).toBeDefined();
  return { finished, ms: Date.parse(finished!.at) - Date.parse(started!.at) };
};

describe('worker idle_timeout_ms (output as heartbeat)', () => {
  it('kills a silent, hanging worker (and its grandchild) after idle_timeout_ms, far before timeout_ms: timed_out / worker_timeout', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, { implementer: ['hang'], reviewer: ['pass'], timeoutMs: LONG_TIMEOUT, extra: { idle_timeout_ms: 500 } }, {
      limits: { max_fix_attempts: 0, max_dispatch_retries: 0 },
    });
    const began = Date.now();
    const run = await runIn(sb, config, writePacket(sb), ['--run-id', 'silent']);
    const elapsed = Date.now() - began;

    expect(run.code, run.stderr).toBe(3);
    expect(elapsed).toBeLessThan(15_000);
    const status = await statusOf(sb, 'silent');
    expect(status).toMatchObject({ state: 'blocked_needs_human', blocker: { code: 'retry_exhausted', cause: 'worker_timeout' } });
    expect(status.tasks).toHaveLength(1);
    expect(status.tasks[0]).toMatchObject({ task_id: 't1-implementer', role: 'implementer', status: 'timed_out', code: 'worker_timeout' });

    const { finished, ms } = workerSpan(await eventsOf(sb, 'silent'), 't1-implementer');
    expect(finished).toMatchObject({ kind: 'timed_out', idle_ms: 500 });
    expect(status.blocker.message).toContain('printed nothing for 500 ms (idle_timeout_ms)');
    expect(ms).toBeGreaterThanOrEqual(450);
    expect(ms).toBeLessThan(10_000);

    const pids = JSON.parse(readFileSync(sb.path('implementer.pids.json'), 'utf8'));
    await until(() => processGone(pids.worker) && processGone(pids.grandchild), 3000);
  });

  it('without idle_timeout_ms the same silent worker is left running until timeout_ms', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, { implementer: ['hang'], reviewer: ['pass'], timeoutMs: 2_000 }, {
      limits: { max_fix_attempts: 0, max_dispatch_retries: 0 },
    });
    const run = await runIn(sb, config, writePacket(sb), ['--run-id', 'no-idle']);
    expect(run.code, run.stderr).toBe(3);
    const { ms } = workerSpan(await eventsOf(sb, 'no-idle'), 't1-implementer');
    expect(ms).toBeGreaterThanOrEqual(1_900);
    expect((await statusOf(sb, 'no-idle')).tasks[0]).toMatchObject({ status: 'timed_out', code: 'worker_timeout' });
  });

  it('does not kill a worker that keeps printing (a line every 100 ms for 1.5 s, idle_timeout_ms 600): it completes', async () => {
    const sb = makeSandbox();
    const config = chattyConfig(sb, ['--every', '100', '--for', '1500'], { idle_timeout_ms: 600 });
    const run = await runIn(sb, config, writePacket(sb), ['--run-id', 'chatty']);

    expect(run.code, run.stderr).toBe(0);
    const status = await statusOf(sb, 'chatty');
    expect(status.state).toBe('ready_for_manual_review');
    expect(status.tasks[0]).toMatchObject({ task_id: 't1-implementer', status: 'completed', code: null });
    const { finished, ms } = workerSpan(await eventsOf(sb, 'chatty'), 't1-implementer');
    expect(finished!.kind).not.toBe('timed_out');
    // It lived well past one idle period: only its output kept it alive.
    expect(ms).toBeGreaterThanOrEqual(1_400);
    const log = readFileSync(join(sb.registry, 'runs', 'chatty', 'tasks', 't1-implementer', 'output.log'), 'utf8');
    expect(log.split('\n').filter((l) => l.startsWith('still working')).length).toBeGreaterThanOrEqual(10);
  });

  it('kills a worker that talked for a while, then fell silent', async () => {
    const sb = makeSandbox();
    // A line every 100 ms for 1.2 s (past two idle periods), then nothing, never completing.
    const config = chattyConfig(sb, ['--every', '100', '--for', '1200', '--then-silent'], { idle_timeout_ms: 600 });
    const run = await runIn(sb, config, writePacket(sb), ['--run-id', 'lapsed']);
    expect(run.code, run.stderr).toBe(3);
    const status = await statusOf(sb, 'lapsed');
    expect(status.tasks[0]).toMatchObject({ status: 'timed_out', code: 'worker_timeout' });
    const { ms } = workerSpan(await eventsOf(sb, 'lapsed'), 't1-implementer');
    // Alive while talking (1.2 s), killed within a few idle periods of falling silent.
    expect(ms).toBeGreaterThanOrEqual(1_700);
    expect(ms).toBeLessThan(6_000);
  });

  it('status of a run mid-task shows current_task.last_output_at, moving with the output', async () => {
    const sb = makeSandbox();
    const config = chattyConfig(sb, ['--every', '100', '--forever', '--started', sb.path('started.json')], { idle_timeout_ms: 5_000 });
    const driver = spawn(process.execPath, [CLI, 'run', writePacket(sb), '--config', config, '--workspace', sb.workspace, '--registry', sb.registry, '--run-id', 'live'], {
      env: { ...process.env, BURAN_KILL_GRACE_MS: '300' }, stdio: 'ignore',
    });
    const driverExit = new Promise<number>((resolve) => driver.on('exit', (code) => resolve(code ?? -1)));
    try {
      await until(() => existsSync(sb.path('started.json')));
      // The heartbeat is the output log's last change: it shows once the worker has printed, and moves on.
      const heartbeat = async () => (await statusOf(sb, 'live')).current_task?.last_output_at as string | undefined;
      let at1: string | undefined;
      for (const end = Date.now() + 10_000; at1 === undefined && Date.now() < end;) at1 = await heartbeat();
      const first = await statusOf(sb, 'live');
      expect(first.state).toMatch(/^running/);
      expect(first.current_task).toMatchObject({ task_id: 't1-implementer', role: 'implementer' });
      expect(at1).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(new Date(at1!).toISOString()).toBe(at1);
      expect(Math.abs(Date.now() - Date.parse(at1!))).toBeLessThan(5_000);
      let at2 = at1;
      for (const end = Date.now() + 10_000; at2 === at1 && Date.now() < end;) at2 = await heartbeat();
      expect(Date.parse(at2!)).toBeGreaterThan(Date.parse(at1!));
    } finally {
      const cancel = await buran(['cancel', 'live', '--registry', sb.registry]);
      expect(cancel.code, cancel.stderr).toBe(0);
      // The driver ends the cancelled run itself and says so: blocked (exit 3), not "stopped, resume".
      expect(await driverExit).toBe(3);
    }
    expect((await statusOf(sb, 'live')).current_task).toBeNull();
  });
});
