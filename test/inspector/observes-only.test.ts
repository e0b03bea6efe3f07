// `run --inspect` only observes: same outcome and journal as without it, redacted live payloads, no wait for pages.
import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buran, eventsOf, makeSandbox, statusOf, writePacket, type Sandbox } from '../helpers/sandbox.ts';
import { readEvents, serve, until, writeSlowConfig } from './helpers.ts';

const SECRET = 'planted-secret-77b1c0ffee';
const RUN_ID = 'inspected-run-1';

/** The journal without what differs between any two runs (times, pids, durations, paths). */
async function journalShape(sb: Sandbox) {
  const keep = ['seq', 'type', 'from', 'to', 'event', 'task_id', 'role', 'attempt', 'epoch', 'decision', 'code', 'verdict'];
  return (await eventsOf(sb, RUN_ID)).map((e) => Object.fromEntries(keep.filter((k) => k in e).map((k) => [k, e[k]])));
}

async function fixLoopRun(inspect: boolean) {
  const sb = makeSandbox();
  writeFileSync(join(sb.workspace, 'check-exit.txt'), '1,0');
  const config = writeSlowConfig(sb, { implementer: ['ok'], fixer: ['ok'], reviewer: ['fail', 'pass'] }, 150);
  const args = ['run', writePacket(sb), '--config', config, '--workspace', sb.workspace, '--registry', sb.registry, '--run-id', RUN_ID];
  if (!inspect) return { sb, result: await buran(args), messages: [] as Array<Record<string, any>> };
  const served = await serve([...args, '--inspect', '--inspect-port', '0']);
  const sse = readEvents(served.url);
  const code = await served.exited;
  await sse.done;
  return { sb, result: { code, stdout: served.stdout(), stderr: served.stderr() }, messages: sse.messages };
}

describe('run --inspect observes only', () => {
  it('a fix-loop run ends the same with and without --inspect, and the live feed saw it all', async () => {
    const [plain, inspected] = await Promise.all([fixLoopRun(false), fixLoopRun(true)]);
    expect(plain.result.code, plain.result.stderr).toBe(0);
    expect(inspected.result.code, inspected.result.stderr).toBe(0);
    const scrub = (run: typeof plain) => run.result.stdout.split(run.sb.dir).join('SANDBOX');
    expect(scrub(inspected)).toBe(scrub(plain));
    expect(inspected.result.stderr).toMatch(/^inspector: http:\/\/127\.0\.0\.1:\d+\//m);

    expect(await journalShape(inspected.sb)).toEqual(await journalShape(plain.sb));
    const pick = (s: Record<string, any>) => ({ state: s.state, epoch: s.epoch, budgets: s.budgets, blocker: s.blocker, next: s.next_safe_action, tasks: s.tasks });
    expect(pick(await statusOf(inspected.sb, RUN_ID))).toEqual(pick(await statusOf(plain.sb, RUN_ID)));

    // The page's feed: a picture first, then the run's states in order, and the end.
    const msgs = inspected.messages;
    expect(msgs[0]!.type).toBe('hello');
    const states = msgs.flatMap((m) => (m.type === 'hello' ? m.actors : m.type === 'actor' ? [m.actor] : []))
      .filter((a: any) => a.kind === 'run' && a.state).map((a: any) => a.state as string)
      .filter((s, i, all) => s !== all[i - 1]);
    const fixAt = states.indexOf('fix_loop.awaiting');
    expect(fixAt, states.join(' | ')).toBeGreaterThan(-1);
    expect(states.slice(-1)).toEqual(['ready_for_manual_review']);
    const tasks = new Set(msgs.filter((m) => m.type === 'actor' && m.actor.kind === 'task').map((m) => m.actor.id));
    expect(tasks.size).toBeGreaterThanOrEqual(3);
    expect(msgs.some((m) => m.type === 'event' && m.event.type === 'task.settled' && m.event.payload.includes('"outcome"'))).toBe(true);
    expect(msgs.at(-1)).toMatchObject({ type: 'run', phase: 'ended', run_id: RUN_ID, state: 'ready_for_manual_review' });
  });

  it('live payloads are redacted like everything else', async () => {
    const sb = makeSandbox();
    const config = writeSlowConfig(sb, { implementer: ['leak-secret'], reviewer: ['pass'], extra: { env: ['BURAN_TEST_SECRET_TOKEN'] } }, 800);
    const served = await serve(
      ['run', writePacket(sb), '--config', config, '--workspace', sb.workspace, '--registry', sb.registry, '--inspect', '--inspect-port', '0'],
      { BURAN_TEST_SECRET_TOKEN: SECRET },
    );
    const sse = readEvents(served.url);
    expect(await served.exited).toBe(0);
    await sse.done;
    expect(sb.calls('implementer')[0]!.secret_seen).toBe(SECRET);
    const text = sse.raw();
    expect(text).toContain('task.settled');
    expect(text).toContain('[REDACTED]');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123456789');
  });

  it('a page that never reads does not hold the run or its exit', async () => {
    const sb = makeSandbox();
    const config = writeSlowConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }, 50);
    const served = await serve(['run', writePacket(sb), '--config', config, '--workspace', sb.workspace, '--registry', sb.registry, '--inspect', '--inspect-port', '0']);
    // A client that connects and then stops reading entirely.
    const { connect } = await import('node:net');
    const socket = connect(Number(new URL(served.url).port), '127.0.0.1');
    socket.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${new URL(served.url).port}\r\n\r\n`);
    socket.pause();
    let code: number | null = null;
    void served.exited.then((c) => { code = c; });
    await until(() => code !== null, 20_000, 'the run to exit');
    expect(code).toBe(0);
    socket.destroy();
  });
});
