// A fleet on one machine (CONTRACT 9): `buran worker` processes, each its own --host-id, clone of a
// shared bare origin and work root, on one PostgreSQL registry; runs queued by `buran submit`.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, onTestFinished, test } from 'vitest';
import { eventually, makeFleet, type Fleet } from '../helpers/fleet.ts';
import { processGone } from '../helpers/sandbox.ts';

type Entry = { seq: number; type: string; [key: string]: unknown };

async function journal(fleet: Fleet, runId: string): Promise<Entry[]> {
  const out = await fleet.buran(['events', runId, '--json']);
  expect(out.code).toBe(0);
  return out.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Entry);
}

function expectContiguous(entries: Entry[]): void {
  expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
}

const ready = (state: string) => state === 'ready_for_manual_review';

/** A fleet with one submitted run whose reviewer is started, and held, on host h1. */
async function reviewerHeldOnH1(taskId: string, config?: Parameters<typeof makeFleet>[0]) {
  const fleet = await makeFleet(config);
  fleet.touch('hold-reviewer');
  const run = await fleet.submit(taskId);
  const first = fleet.host('h1');
  await eventually(() => fleet.calls('reviewer').some((c) => c.what === 'start' && c.host === 'h1'), 'the reviewer started on h1');
  return { fleet, run, first };
}

describe('runner hosts on a shared registry', () => {
  test('every queued run is claimed by exactly one host, and each is finished', { timeout: 120_000 }, async () => {
    const fleet = await makeFleet();
    const runs = [];
    for (const task of ['t-a', 't-b', 't-c', 't-d']) runs.push(await fleet.submit(task));
    const hosts = [fleet.host('h1', { concurrency: 2 }), fleet.host('h2', { concurrency: 2 })];
    for (const run of runs) await fleet.waitForState(run, ready, 'ready');

    const claims = hosts.flatMap((h) => h.events.filter((e) => e.event === 'claimed').map((e) => e.run_id));
    expect(claims.sort()).toEqual([...runs].sort());
    for (const run of runs) {
      const entries = await journal(fleet, run);
      expect(entries.filter((e) => e.type === 'fleet.claimed')).toHaveLength(1);
      expectContiguous(entries);
    }
    // One implementer per run, each started once.
    const started = fleet.calls('implementer').filter((c) => c.what === 'start');
    expect(started.map((c) => c.run).sort()).toEqual([...runs].sort());
  });

  test('SIGKILL of the driving host: another host takes the run over and finishes it; the recorded completion is not dispatched again', { timeout: 120_000 }, async () => {
    // The implementer's completion is recorded; the reviewer is mid-task when its host dies.
    const { fleet, run, first } = await reviewerHeldOnH1('t-kill');
    first.signal('SIGKILL');
    await first.exited;
    fleet.touch('release-reviewer-h2');
    const second = fleet.host('h2');
    await second.waitFor((e) => e.event === 'claimed' && e.run_id === run, 'claim');
    expect(second.events.find((e) => e.event === 'claimed')?.kind).toBe('takeover');
    await fleet.waitForState(run, ready, 'ready');

    expect(fleet.calls('implementer').filter((c) => c.what === 'start')).toHaveLength(1);
    expect(fleet.calls('reviewer').filter((c) => c.what === 'start').map((c) => c.host)).toEqual(['h1', 'h2']);
    const entries = await journal(fleet, run);
    expectContiguous(entries);
    expect(entries.filter((e) => e.type === 'fleet.claimed').map((e) => [e.host, e.kind])).toEqual([['h1', 'queued'], ['h2', 'takeover']]);
    expect(entries.some((e) => e.type === 'worker.restarted_elsewhere' && e.previous_host === 'h1')).toBe(true);
    const status = JSON.parse((await fleet.buran(['status', run, '--json'])).stdout) as { budgets?: unknown; tasks: Array<{ role: string; attempt: number }> };
    // No retry was spent on the takeover: every task is attempt 1.
    expect(status.tasks.every((t) => t.attempt === 1)).toBe(true);
  });

  test('with fleet.remote, the taken-over run continues from the checkpoint of its last accepted completion', { timeout: 120_000 }, async () => {
    const { fleet, run, first } = await reviewerHeldOnH1('t-checkpoint', { fleet: { dead_after_ms: 1500, remote: 'origin' } });
    first.signal('SIGKILL');
    await first.exited;
    fleet.touch('release-reviewer-h2');
    fleet.host('h2');
    await fleet.waitForState(run, ready, 'ready');

    const entries = await journal(fleet, run);
    expectContiguous(entries);
    const pushed = entries.find((e) => e.type === 'fleet.checkpoint');
    expect(pushed).toMatchObject({ task_id: 't1-implementer' });
    expect(entries.find((e) => e.type === 'fleet.restored')).toMatchObject({ task_id: 't1-implementer', commit: pushed!.commit });
    // The implementer ran once, on h1; its edit reached the handoff made on h2.
    expect(fleet.calls('implementer').filter((c) => c.what === 'start').map((c) => c.host)).toEqual(['h1']);
    const patch = readFileSync(join(fleet.dir, 'work-h2', 'runs', run, 'handoff', 'patch.diff'), 'utf8');
    expect(patch).toContain('+implementer on h1');
    // The checkpoint is a ref of Buran's own on the remote; no branch of it moved.
    const refs = execFileSync('git', ['for-each-ref', '--format=%(refname)'], { cwd: join(fleet.dir, 'origin.git'), encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(refs.sort()).toEqual([`refs/buran/checkpoints/${run}/t1-implementer`, 'refs/heads/main']);
  });

  test('a paused owner (SIGSTOP past dead_after, then SIGCONT) cannot write after the takeover', { timeout: 120_000 }, async () => {
    const { fleet, run, first } = await reviewerHeldOnH1('t-pause');
    first.signal('SIGSTOP');
    const second = fleet.host('h2');
    await second.waitFor((e) => e.event === 'claimed' && e.run_id === run && e.kind === 'takeover', 'takeover');
    await eventually(() => fleet.calls('reviewer').some((c) => c.what === 'start' && c.host === 'h2'), 'the reviewer started again on h2');
    // The paused host's reviewer finishes while its driver is stopped; the driver wakes to a run it lost.
    fleet.touch('release-reviewer-h1');
    await eventually(() => fleet.calls('reviewer').some((c) => c.what === 'end' && c.host === 'h1'), 'the reviewer on h1 ended');
    first.signal('SIGCONT');
    expect(await first.exited).toBe(5);
    fleet.touch('release-reviewer-h2');
    await fleet.waitForState(run, ready, 'ready');

    const entries = await journal(fleet, run);
    expectContiguous(entries);
    const takeover = entries.find((e) => e.type === 'fleet.claimed' && e.kind === 'takeover')!;
    // After the takeover, one reviewer finished: h2's. Nothing of h1 landed.
    const finished = entries.filter((e) => e.seq > takeover.seq && e.type === 'worker.finished' && String(e.task_id).endsWith('reviewer'));
    expect(finished).toHaveLength(1);
    const db = new pg.Client({ connectionString: fleet.url });
    await db.connect();
    onTestFinished(() => db.end());
    const outcomes = await db.query<{ value: { completion?: { value?: { summary?: string } } } }>(
      "SELECT value FROM effects WHERE run_id = $1 AND key LIKE 'tasks/%reviewer/outcome'", [run]);
    expect(outcomes.rows.map((r) => JSON.stringify(r.value))).toEqual([expect.stringContaining('reviewer on h2')]);
  });

  test("two hosts' runs with overlapping surfaces on one repository take turns", { timeout: 120_000 }, async () => {
    const fleet = await makeFleet();
    fleet.touch('hold-implementer');
    const first = fleet.host('h1');
    const runA = await fleet.submit('t-one', { surface: ['src/'] });
    await first.waitFor((e) => e.event === 'claimed' && e.run_id === runA, 'claim of the first run');
    await eventually(() => fleet.calls('implementer').some((c) => c.run === runA), 'the first implementer started');
    const second = fleet.host('h2');
    const runB = await fleet.submit('t-two', { surface: ['src/widgets/'] });
    await second.waitFor((e) => e.event === 'claimed' && e.run_id === runB, 'claim of the second run');
    await fleet.waitForState(runB, (s) => s === 'waiting_for_lock', 'waiting for the lease');
    expect(fleet.calls('implementer').some((c) => c.run === runB)).toBe(false);
    fleet.touch('release-implementer');
    for (const run of [runA, runB]) await fleet.waitForState(run, ready, 'ready');

    const [a, b] = [runA, runB].map((run) => fleet.calls('implementer').filter((c) => c.run === run));
    expect(a!.map((c) => c.host)).toEqual(['h1', 'h1']);
    expect(b!.map((c) => c.host)).toEqual(['h2', 'h2']);
    // The second started only after the first ended.
    expect(b![0]!.at).toBeGreaterThanOrEqual(a![1]!.at);
  });

  test('SIGTERM: the host claims nothing more, stops its run (workers too) and queues it again for another host', { timeout: 120_000 }, async () => {
    const fleet = await makeFleet();
    fleet.touch('hold-implementer');
    const run = await fleet.submit('t-term');
    const first = fleet.host('h1');
    await eventually(() => fleet.calls('implementer').some((c) => c.run === run), 'the implementer started');
    const worker = fleet.calls('implementer').find((c) => c.run === run)!;
    first.signal('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.events.find((e) => e.event === 'parked'), JSON.stringify(first.events)).toMatchObject({ run_id: run });
    expect(processGone(worker.pid)).toBe(true);
    expect(await fleet.waitForState(run, (s) => s !== '', 'listed')).toBe('running');
    // Taken out of the queue (as a host that failed to park it would leave it), `buran resume` puts it back.
    const db = new pg.Client({ connectionString: fleet.url });
    await db.connect();
    onTestFinished(() => db.end());
    await db.query('UPDATE runs SET queued_at = NULL WHERE run_id = $1', [run]);
    const resumed = await fleet.buran(['resume', run]);
    expect([resumed.code, resumed.stdout]).toEqual([0, expect.stringContaining('is queued again')]);
    fleet.touch('release-implementer');
    const second = fleet.host('h2');
    const claim = await second.waitFor((e) => e.event === 'claimed' && e.run_id === run, 'claim');
    expect(claim.kind).toBe('queued');
    await fleet.waitForState(run, ready, 'ready');
    expect(fleet.calls('implementer').filter((c) => c.what === 'start').map((c) => c.host)).toEqual(['h1', 'h2']);
  });

  test('cancel from another host stops the workers on the driving host', { timeout: 120_000 }, async () => {
    const fleet = await makeFleet();
    fleet.touch('hold-implementer');
    const run = await fleet.submit('t-cancel');
    const host = fleet.host('h1');
    await eventually(() => fleet.calls('implementer').some((c) => c.run === run), 'the implementer started');
    const worker = fleet.calls('implementer').find((c) => c.run === run)!;
    // From another host: the run is h1's to drive, and its files are on h1's disk.
    const status = JSON.parse((await fleet.buran(['status', run, '--json'])).stdout) as { next_safe_action: { kind: string; reason: string }; workspace: { host?: string } };
    expect(status.next_safe_action.kind).toBe('wait');
    expect(status.next_safe_action.reason).toMatch(/on host h1/);
    expect(status.workspace.host).toBe('h1');
    const logs = await fleet.buran(['logs', run]);
    expect(logs.code).toBe(2);
    expect(logs.stderr).toContain('runner host h1');
    const cancelled = await fleet.buran(['cancel', run], { BURAN_HOST_ID: 'elsewhere' });
    expect(cancelled.stderr).toBe('');
    await eventually(() => processGone(worker.pid), 'the implementer stopped');
    const ended = await host.waitFor((e) => e.event === 'ended' && e.run_id === run, 'the run ended');
    expect([ended.state, ended.blocker]).toEqual(['blocked_needs_human', 'cancelled']);
    expect(fleet.calls('implementer').filter((c) => c.what === 'end')).toHaveLength(0);
  });
});

describe('submit and worker refuse what cannot work', () => {
  test('a folder registry is refused with the fix (exit 2), and nothing is written', async () => {
    const fleet = await makeFleet();
    const out = await fleet.buran(['submit', 'nothing.json', '--registry', `${fleet.dir}/reg`]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/--registry postgres:\/\//);
    const worker = await fleet.buran(['worker', '--registry', `${fleet.dir}/reg`]);
    expect(worker.code).toBe(2);
    expect(worker.stderr).toMatch(/--registry postgres:\/\//);
  });

  test('a worker outside a git checkout is refused with the fix (exit 2)', async () => {
    const fleet = await makeFleet();
    const out = await fleet.buran(['worker', '--host-id', 'h1']);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('buran worker --repo DIR');
  });
});
