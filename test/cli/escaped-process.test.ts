import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventsOf, makeSandbox, processGone, runIn, until, writeConfig, writePacket } from '../helpers/sandbox.ts';

// Issue: no process outlives its task. A child that escaped the worker's group with setsid is
// found by the task's ids in its environment and stopped when the task ends.

describe('no process outlives its task', () => {
  it('a child that left the group with setsid is stopped when its worker completes', async () => {
    const sb = makeSandbox();
    const run = await runIn(sb, writeConfig(sb, { implementer: ['escape'], reviewer: ['pass'] }), writePacket(sb), ['--run-id', 'esc']);
    expect(run.code, run.stderr).toBe(0);
    const pids = JSON.parse(readFileSync(sb.path('implementer.pids.json'), 'utf8'));
    await until(() => processGone(pids.escaped), 5000);
    const stopped = (await eventsOf(sb, 'esc')).find((e) => e.type === 'worker.strays_stopped');
    expect(stopped).toMatchObject({ task_id: 't1-implementer', pids: [pids.escaped] });
  });

  it('and when its worker is killed for its timeout', async () => {
    const sb = makeSandbox();
    const run = await runIn(sb, writeConfig(sb, { implementer: ['escape-hang'], reviewer: ['pass'], timeoutMs: 600 }, {
      limits: { max_fix_attempts: 0, max_dispatch_retries: 0 },
    }), writePacket(sb), ['--run-id', 'esc-timeout']);
    expect(run.code).toBe(3);
    const pids = JSON.parse(readFileSync(sb.path('implementer.pids.json'), 'utf8'));
    await until(() => processGone(pids.worker) && processGone(pids.escaped), 5000);
  });
});
