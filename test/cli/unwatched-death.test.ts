// Issue 16, faults: a worker no driver was watching when it died (the driver and the worker went
// down together) is an interruption, dispatched again without spending a retry, a bounded number
// of times.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buran, eventsOf, makeSandbox, ROOT, runIn, statusOf, writeConfig, writePacket, type Sandbox } from '../helpers/sandbox.ts';


const HOSTILE = join(ROOT, 'test', 'fixtures', 'hostile-worker.mjs');

function config(sb: Sandbox, modes: string[]): string {
  const path = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }, { limits: { max_fix_attempts: 0, max_dispatch_retries: 0 } });
  const c = JSON.parse(readFileSync(path, 'utf8'));
  c.workers.implementer = { command: ['node', HOSTILE, '--log', sb.path('implementer.calls.jsonl'), '--sequence', modes.join(',')] };
  writeFileSync(path, JSON.stringify(c));
  return path;
}

/** `run`, then `resume` until a driver ends on its own (each killed one counts); at most `limit` drivers. */
async function driveThroughCrashes(sb: Sandbox, cfg: string, limit: number) {
  let result = await runIn(sb, cfg, writePacket(sb), ['--run-id', 'crashy']);
  let drivers = 1;
  while (result.code === 1 && drivers < limit) {
    result = { ...(await buran(['resume', 'crashy', '--registry', sb.registry])), runId: 'crashy' };
    drivers++;
  }
  return { result, drivers };
}

describe('a worker that died with its driver', () => {
  it('is dispatched again without spending a retry: with max_dispatch_retries 0 the run still ends as an uninterrupted one', async () => {
    const sb = makeSandbox();
    const { result, drivers } = await driveThroughCrashes(sb, config(sb, ['take-driver-down', 'ok']), 5);
    expect(drivers).toBe(2);
    expect(result.code, result.stderr).toBe(0);
    const status = await statusOf(sb, 'crashy');
    expect(status.state).toBe('ready_for_manual_review');
    expect(status.tasks.filter((t: { role: string }) => t.role === 'implementer').map((t: { status: string; retry: number }) => [t.status, t.retry]))
      .toEqual([['interrupted', 0], ['completed', 0]]);
    const finished = (await eventsOf(sb, 'crashy')).find((e) => e.type === 'worker.finished' && e.kind === 'lost');
    expect(finished).toMatchObject({ unwatched: true });
  });

  it('a worker that always takes its driver down stops after 3 free dispatches: then it counts, and the run ends retry_exhausted', async () => {
    const sb = makeSandbox();
    const { result, drivers } = await driveThroughCrashes(sb, config(sb, ['take-driver-down']), 10);
    expect(result.code, result.stderr).toBe(3);
    expect(drivers).toBe(5);
    const status = await statusOf(sb, 'crashy');
    expect(status.blocker).toMatchObject({ code: 'retry_exhausted', cause: 'completion_missing' });
    expect(status.tasks.map((t: { status: string }) => t.status)).toEqual(['interrupted', 'interrupted', 'interrupted', 'interrupted']);
    expect(sb.calls('implementer')).toHaveLength(4);
  });
});
