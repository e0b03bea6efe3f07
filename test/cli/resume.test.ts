import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buran, eventsOf, makeSandbox, runIn, statusOf, writeConfig, writePacket, type Sandbox } from '../helpers/sandbox.ts';

const WORKERS = { implementer: ['ok'], fixer: ['ok'], reviewer: ['fail', 'pass'] };
const resume = (sb: Sandbox, id: string, extra: string[] = []) => buran(['resume', id, '--registry', sb.registry, ...extra]);
const taskDir = (sb: Sandbox, runId: string, taskId: string) => join(sb.registry, 'runs', runId, 'tasks', taskId);
/** What must not depend on how often the run was stopped and resumed. */
const outcome = (s: Record<string, any>) => ({
  state: s.state, terminal: s.terminal, epoch: s.epoch, blocker: s.blocker, budgets: s.budgets,
  tasks: s.tasks.map((t: any) => [t.task_id, t.role, t.attempt, t.epoch, t.status, t.verdict ?? null]),
});

/** The journal is one unbroken story: seq 1..n, each run transition starts where the last ended, no task step twice. */
function expectOneStory(events: Array<Record<string, any>>) {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  const run = events.filter((e) => e.type === 'run.created' || e.type === 'run.transition');
  expect(run.filter((e) => e.type === 'run.created')).toHaveLength(1);
  for (let i = 1; i < run.length; i++) expect(run[i]!.from, `run entry seq ${run[i]!.seq}`).toBe(run[i - 1]!.to);
  const byTask = new Map<string, string[]>();
  for (const e of events.filter((x) => x.type === 'task.transition')) byTask.set(e.task_id, [...(byTask.get(e.task_id) ?? []), e.to]);
  for (const [id, steps] of byTask) expect(new Set(steps).size, `task.transition of ${id}: ${steps.join(',')}`).toBe(steps.length);
}

async function uninterrupted(): Promise<Record<string, any>> {
  const sb = makeSandbox();
  const result = await runIn(sb, writeConfig(sb, WORKERS), writePacket(sb));
  expect(result.code, result.stderr).toBe(0);
  return statusOf(sb, result.runId);
}

describe('buran run --max-steps / --until, then resume', () => {
  it('--max-steps stops early with exit 6; resume finishes like an uninterrupted run', async () => {
    const sb = makeSandbox();
    const first = await runIn(sb, writeConfig(sb, WORKERS), writePacket(sb), ['--max-steps', '3']);
    expect(first.code, first.stderr).toBe(6);
    expect(first.stdout).toMatch(/stopped: max_steps/);
    const stopped = await statusOf(sb, first.runId);
    expect(stopped.terminal).toBe(false);
    expect(stopped.next_safe_action).toMatchObject({ kind: 'resume', command: `buran resume ${first.runId} --registry ${sb.registry}` });

    const second = await resume(sb, first.runId);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout.split('\n')[0]).toBe(first.runId);
    const final = await statusOf(sb, first.runId);
    expect(outcome(final)).toEqual(outcome(await uninterrupted()));

    const implementer = final.tasks.filter((t: any) => t.role === 'implementer');
    expect(implementer.filter((t: any) => t.decision === 'accepted')).toHaveLength(1);
    expect(implementer).toHaveLength(1);
    // A worker killed by the stop is started again under the same task, never as a new dispatch.
    expect(new Set(sb.calls('implementer').map((c) => c.task_id))).toEqual(new Set([implementer[0].task_id]));
    expectOneStory(await eventsOf(sb, first.runId));
  });

  it('--max-steps N stops after N run transitions (journal holds N run entries)', async () => {
    const sb = makeSandbox();
    const result = await runIn(sb, writeConfig(sb, WORKERS), writePacket(sb), ['--max-steps', '2']);
    expect(result.code, result.stderr).toBe(6);
    const events = await eventsOf(sb, result.runId);
    const run = events.filter((e) => e.type.startsWith('run.'));
    expect(run.map((e) => String(e.to).split('.')[0])).toEqual(['packet_received', 'queued']);
    expect((await statusOf(sb, result.runId)).state).toBe('queued');
    expect(existsSync(taskDir(sb, result.runId, 't1-implementer'))).toBe(false);
  });

  it('--until STATE stops in that state, not some transitions later', async () => {
    const sb = makeSandbox();
    const result = await runIn(sb, writeConfig(sb, WORKERS), writePacket(sb), ['--until', 'queued']);
    expect(result.code, result.stderr).toBe(6);
    expect(result.stdout).toMatch(/state: queued \(stopped: until\)/);
    expect((await statusOf(sb, result.runId)).state).toBe('queued');
  });

  it('a worker process started and killed by a deliberate stop is journalled', async () => {
    const sb = makeSandbox();
    const result = await runIn(sb, writeConfig(sb, WORKERS), writePacket(sb), ['--until', 'running']);
    expect(result.code, result.stderr).toBe(6);
    const taskId: string = (await statusOf(sb, result.runId)).current_task.task_id;
    const intent = join(taskDir(sb, result.runId, taskId), 'dispatch.json');
    if (!existsSync(intent)) return; // stopped before any process existed: nothing to journal
    const { process: started } = JSON.parse(readFileSync(intent, 'utf8'));
    const events = await eventsOf(sb, result.runId);
    expect(events.filter((e) => e.type === 'worker.started' && e.task_id === taskId).map((e) => e.pid)).toEqual([started.pid]);
  });

  it('a run driven in many small slices ends exactly like an uninterrupted one', async () => {
    const sb = makeSandbox();
    const first = await runIn(sb, writeConfig(sb, WORKERS), writePacket(sb), ['--max-steps', '3']);
    let code = first.code;
    let slices = 1;
    while (code === 6 && slices < 30) {
      code = (await resume(sb, first.runId, ['--max-steps', '3'])).code;
      slices++;
    }
    expect(code).toBe(0);
    expect(slices).toBeGreaterThan(2);
    expect(outcome(await statusOf(sb, first.runId))).toEqual(outcome(await uninterrupted()));
    expectOneStory(await eventsOf(sb, first.runId));
  });

  it('--until STATE stops (exit 6) once the run enters that state', async () => {
    const sb = makeSandbox();
    const first = await runIn(sb, writeConfig(sb, WORKERS), writePacket(sb), ['--until', 'verification']);
    expect(first.code, first.stderr).toBe(6);
    expect(first.stdout).toMatch(/state: verification \(stopped: until\)/);
    const stopped = await statusOf(sb, first.runId);
    expect(stopped).toMatchObject({ state: 'verification', terminal: false, epoch: 1 });
    expect(stopped.tasks.map((t: any) => [t.role, t.status])).toEqual([['implementer', 'completed']]);
    expect(sb.calls('reviewer')).toHaveLength(0);

    const second = await resume(sb, first.runId, ['--until', 'fix_loop']);
    expect(second.code, second.stderr).toBe(6);
    expect((await statusOf(sb, first.runId)).state).toBe('fix_loop');

    const third = await resume(sb, first.runId);
    expect(third.code, third.stderr).toBe(0);
    expect(outcome(await statusOf(sb, first.runId))).toEqual(outcome(await uninterrupted()));
    expectOneStory(await eventsOf(sb, first.runId));
  });

  it('--until a state the run never enters, or a terminal one, runs to the end with its normal exit code', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] });
    const never = await runIn(sb, config, writePacket(sb), ['--until', 'fix_loop']);
    expect(never.code, never.stderr).toBe(0);
    expect((await statusOf(sb, never.runId)).state).toBe('ready_for_manual_review');
    const terminal = await runIn(sb, config, writePacket(sb), ['--until', 'ready_for_manual_review']);
    expect(terminal.code, terminal.stderr).toBe(0);
  });

  it('`run --run ID` continues a recorded run like `resume ID`', async () => {
    const sb = makeSandbox();
    const first = await runIn(sb, writeConfig(sb, WORKERS), writePacket(sb), ['--until', 'internal_review']);
    expect(first.code, first.stderr).toBe(6);
    const again = await buran(['run', '--run', first.runId, '--registry', sb.registry]);
    expect(again.code, again.stderr).toBe(0);
    expect((await statusOf(sb, first.runId)).state).toBe('ready_for_manual_review');
  });
});

describe('buran resume: idempotent from recorded artifacts', () => {
  it('ingests a completion already in the task slot instead of starting the worker again', async () => {
    const sb = makeSandbox();
    const first = await runIn(sb, writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }), writePacket(sb), ['--until', 'running']);
    expect(first.code, first.stderr).toBe(6);
    const stopped = await statusOf(sb, first.runId);
    expect(stopped.state).toBe('running');
    const taskId: string = stopped.current_task.task_id;
    expect(stopped.current_task).toMatchObject({ role: 'implementer', status: 'dispatched' });

    // The worker's work, recorded where the worker would have written it.
    // (A deliberate stop at `running` starts no process, so the slot's folder may not exist yet.)
    const completion = join(taskDir(sb, first.runId, taskId), 'completion.json');
    mkdirSync(dirname(completion), { recursive: true });
    writeFileSync(completion, JSON.stringify({ task_id: taskId, status: 'completed', summary: 'done out of band', artifacts: [] }));
    const callsBefore = sb.calls('implementer').filter((c) => c.task_id === taskId).length;

    const second = await resume(sb, first.runId);
    expect(second.code, second.stderr).toBe(0);
    expect(sb.calls('implementer').filter((c) => c.task_id === taskId)).toHaveLength(callsBefore);
    expect(sb.calls('implementer')).toHaveLength(callsBefore);

    const final = await statusOf(sb, first.runId);
    expect(final.state).toBe('ready_for_manual_review');
    expect(final.tasks[0]).toMatchObject({ task_id: taskId, role: 'implementer', status: 'completed', decision: 'accepted' });
    const events = await eventsOf(sb, first.runId);
    expect(events.filter((e) => e.type === 'worker.ingested' && e.task_id === taskId)).toHaveLength(1);
    expect(events.filter((e) => e.type === 'worker.started' && e.task_id === taskId)).toHaveLength(0);
    expectOneStory(events);
  });

  it('resuming a finished run is a no-op with the same exit code', async () => {
    const sb = makeSandbox();
    const done = await runIn(sb, writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }), writePacket(sb));
    expect(done.code).toBe(0);
    const journal = join(sb.registry, 'runs', done.runId, 'journal.jsonl');
    const before = { journal: readFileSync(journal, 'utf8'), status: await statusOf(sb, done.runId), calls: sb.calls('implementer').length };
    const again = await resume(sb, done.runId);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/state: ready_for_manual_review/);
    expect(readFileSync(journal, 'utf8')).toBe(before.journal);
    expect(await statusOf(sb, done.runId)).toEqual(before.status);
    expect(sb.calls('implementer')).toHaveLength(before.calls);

    const blocked = await runIn(sb, writeConfig(sb, { implementer: ['blocked'], reviewer: ['pass'] }), writePacket(sb));
    expect(blocked.code).toBe(3);
    const blockedAgain = await resume(sb, blocked.runId, ['--json']);
    expect(blockedAgain.code).toBe(3);
    expect(JSON.parse(blockedAgain.stdout)).toMatchObject({ run_id: blocked.runId, state: 'blocked_needs_human', blocker: { code: 'worker_blocked' } });
  });

  it('an unknown run id is a registry problem: exit 5 for resume and status', async () => {
    const sb = makeSandbox();
    await runIn(sb, writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }), writePacket(sb));
    for (const command of ['resume', 'status', 'events']) {
      const result = await buran([command, 'unknown-id', '--registry', sb.registry]);
      expect(result.code, `${command}: ${result.stderr}`).toBe(5);
      expect(result.stderr).toMatch(/unknown-id/);
    }
    expect(existsSync(join(sb.registry, 'runs', 'unknown-id'))).toBe(false);
  });
});

describe('a run recorded at intake but never driven', () => {
  it('shows as packet_received with next action resume, and resume drives it', async () => {
    const sb = makeSandbox();
    const done = await runIn(sb, writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }), writePacket(sb), ['--run-id', 'fresh']);
    expect(done.code).toBe(0);
    // What a driver killed right after intake leaves: run.json and packet.json only.
    for (const name of ['snapshot.json', 'journal.jsonl', 'intake.json']) rmSync(join(sb.registry, 'runs', 'fresh', name), { force: true });
    rmSync(join(sb.registry, 'runs', 'fresh', 'tasks'), { recursive: true, force: true });
    rmSync(join(sb.registry, 'runs', 'fresh', 'epochs'), { recursive: true, force: true });
    rmSync(join(sb.registry, 'runs', 'fresh', 'handoff'), { recursive: true, force: true });
    rmSync(join(sb.registry, 'leases'), { recursive: true, force: true });
    const status = await statusOf(sb, 'fresh');
    expect(status).toMatchObject({ state: 'packet_received', terminal: false, tasks: [], next_safe_action: { kind: 'resume' } });
    expect((await buran(['list', '--registry', sb.registry])).stdout).toMatch(/^fresh +packet_received /m);
    expect((await resume(sb, 'fresh')).code).toBe(0);
    expect((await statusOf(sb, 'fresh')).state).toBe('ready_for_manual_review');
  });
});
