// Issue 16, records and faults: damaged records are set aside (quarantine, or exit 5 for the shared
// lease table), a missing snapshot is reported honestly, a lock or record that cannot name its
// process signals nothing, and processes a run leaves are found and kept in view.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buran, CLI, eventsOf, makeSandbox, processGone, runIn, statusOf, until, writeConfig, writePacket, type Sandbox } from '../helpers/sandbox.ts';

const alive: number[] = [];
afterEach(() => {
  for (const pid of alive.splice(0)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
});

const runDir = (sb: Sandbox, id: string) => join(sb.registry, 'runs', id);
const tablePath = (sb: Sandbox) => join(sb.registry, 'leases', 'table.json');

/** Starts a run whose implementer hangs, waits for its worker, SIGKILLs the driver; returns the worker's pids. */
async function orphanedRun(sb: Sandbox, runId: string, extra: Record<string, unknown> = {}) {
  const config = writeConfig(sb, { implementer: ['hang'], reviewer: ['pass'] }, extra);
  const driver = spawn(process.execPath, [CLI, 'run', writePacket(sb), '--config', config, '--workspace', sb.workspace, '--registry', sb.registry, '--run-id', runId], { stdio: 'ignore' });
  await until(() => existsSync(sb.path('implementer.pids.json')));
  const pids = JSON.parse(readFileSync(sb.path('implementer.pids.json'), 'utf8')) as { worker: number; grandchild: number };
  alive.push(pids.worker, pids.grandchild);
  driver.kill('SIGKILL');
  await new Promise((resolve) => driver.on('exit', resolve));
  return { pids, config };
}

describe('a damaged lease table (shared by every run)', () => {
  it('is exit 5 naming the file for status, reclaim, a new run and resume; no run is quarantined; fixed, the run resumes', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }, { lease: { wait_ms: 0 } });
    const stopped = await runIn(sb, config, writePacket(sb), ['--run-id', 'held', '--until', 'running']);
    expect(stopped.code, stopped.stderr).toBe(6);
    writeFileSync(tablePath(sb), '{"leases": [{"resource": 12}]}');

    const status = await buran(['status', 'held', '--json', '--registry', sb.registry]);
    expect(status.code).toBe(5);
    const view = JSON.parse(status.stdout);
    expect(view.state).toBe('running');
    expect(view.problems.join('\n')).toMatch(/lease table is damaged .*table\.json: leases\[0\] is not a claim/);

    const reclaim = await buran(['reclaim', 'held', '--registry', sb.registry]);
    expect(reclaim.code).toBe(5);
    expect(reclaim.stderr).toMatch(/table\.json: leases\[0\] is not a claim.*Inspect it/);

    const fresh = await runIn(sb, config, writePacket(sb), ['--run-id', 'fresh']);
    expect(fresh.code, fresh.stderr).toBe(5);
    expect(fresh.stderr).toMatch(/table\.json/);
    expect(fresh.stderr).not.toMatch(/internal error/);
    // Stopped where it was (taking its leases), not ended: no blocker, no quarantine.
    const raw = JSON.parse((await buran(['status', 'fresh', '--json', '--registry', sb.registry])).stdout);
    expect(raw).toMatchObject({ state: 'waiting_for_lock', terminal: false, blocker: null });
    expect(existsSync(join(runDir(sb, 'fresh'), 'quarantine.json'))).toBe(false);
    expect(readFileSync(tablePath(sb), 'utf8')).toBe('{"leases": [{"resource": 12}]}');
    // A run that already holds its leases goes on (no other run can take them while the table is
    // unreadable); it records that it could not give them back.
    expect((await buran(['resume', 'held', '--registry', sb.registry])).code).toBe(0);
    expect((await eventsOf(sb, 'held')).map((e) => e.type)).toContain('lease.release_failed');
    expect((await buran(['list', '--registry', sb.registry])).code).toBe(0);

    rmSync(tablePath(sb));
    const resumed = await buran(['resume', 'fresh', '--registry', sb.registry]);
    expect(resumed.code, resumed.stderr).toBe(0);
  });
});

describe('a damaged dispatch.json of an interrupted run', () => {
  it('quarantines the run: the task is not dispatched a second time beside its live worker', async () => {
    const sb = makeSandbox();
    const { pids } = await orphanedRun(sb, 'cut');
    const dispatch = join(runDir(sb, 'cut'), 'tasks', 't1-implementer', 'dispatch.json');
    writeFileSync(dispatch, '{"task_id": "t1-implementer", "process": ');
    const resume = await buran(['resume', 'cut', '--registry', sb.registry]);
    expect(resume.code, resume.stderr).toBe(5);
    expect(resume.stderr).toMatch(/dispatch\.json: not valid JSON/);
    expect(sb.calls('implementer')).toHaveLength(1);
    expect(processGone(pids.worker)).toBe(false);
    const status = await buran(['status', 'cut', '--json', '--registry', sb.registry]);
    expect(status.code).toBe(5);
    expect(JSON.parse(status.stdout)).toMatchObject({ state: 'quarantined', blocker: { code: 'registry_corrupt' } });
  });
});

describe('a damaged packet.json of an unfinished run', () => {
  it('quarantines the run on resume (exit 5), not an internal error', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] });
    expect((await runIn(sb, config, writePacket(sb), ['--run-id', 'torn', '--until', 'running'])).code).toBe(6);
    writeFileSync(join(runDir(sb, 'torn'), 'packet.json'), '{"task_id": ');
    const resume = await buran(['resume', 'torn', '--registry', sb.registry]);
    expect(resume.code, resume.stderr).toBe(5);
    expect(resume.stderr).toMatch(/packet\.json: not valid JSON/);
    expect(resume.stderr).not.toMatch(/internal error/);
    expect(existsSync(join(runDir(sb, 'torn'), 'quarantine.json'))).toBe(true);
    expect(sb.calls('implementer')).toHaveLength(0);
  });
});

describe('a missing snapshot', () => {
  it('status and list report where the journal says the run is, say the snapshot is missing, and resume rebuilds it', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, { implementer: ['ok'], fixer: ['ok'], reviewer: ['fail', 'pass'] });
    const stopped = await runIn(sb, config, writePacket(sb), ['--run-id', 'far', '--until', 'fix_loop']);
    expect(stopped.code, stopped.stderr).toBe(6);
    const before = await statusOf(sb, 'far');
    rmSync(join(runDir(sb, 'far'), 'snapshot.json'));

    const status = await statusOf(sb, 'far');
    expect(status.state).toBe('fix_loop');
    expect(status.epoch).toBe(before.epoch);
    expect(status.tasks.map((t: { task_id: string }) => t.task_id)).toEqual(before.tasks.map((t: { task_id: string }) => t.task_id));
    expect(status.problems.join(' ')).toMatch(/snapshot\.json is missing/);
    // The command works as written: it names the registry, which is not the default one here.
    expect(status.next_safe_action).toMatchObject({ kind: 'resume', command: `buran resume far --registry ${sb.registry}` });
    expect((await buran(['list', '--registry', sb.registry])).stdout).toMatch(/far\s+fix_loop/);

    const resumed = await buran(['resume', 'far', '--registry', sb.registry]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const after = await statusOf(sb, 'far');
    expect(after.state).toBe('ready_for_manual_review');
    expect(after.problems).toBeUndefined();
    // Nothing that had run was started again.
    expect(sb.calls('implementer')).toHaveLength(1);
    expect(sb.calls('reviewer')).toHaveLength(2);
  });
});

describe('locks and records that cannot name their process', () => {
  it('cancel never signals the pid of a lock without a start time (exit 5, the process lives)', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] });
    expect((await runIn(sb, config, writePacket(sb), ['--run-id', 'locked', '--until', 'running'])).code).toBe(6);
    const bystander = spawn('sleep', ['60'], { stdio: 'ignore' });
    alive.push(bystander.pid!);
    writeFileSync(join(runDir(sb, 'locked'), 'lock'), JSON.stringify({ pid: bystander.pid }));
    const cancel = await buran(['cancel', 'locked', '--registry', sb.registry]);
    expect(cancel.code).toBe(5);
    expect(cancel.stderr).toMatch(/without a start time.*nothing was signalled/);
    expect(processGone(bystander.pid!)).toBe(false);
    expect((await statusOf(sb, 'locked')).state).toBe('running');
  });
});

describe('reclaim and a dead run\'s orphaned worker', () => {
  it('refuses while a recorded worker of the run is alive (exit 5 naming it), and reclaims once it is gone', async () => {
    const sb = makeSandbox();
    const { pids } = await orphanedRun(sb, 'orphan', { lease: { wait_ms: 0, ttl_ms: 1000 } });
    // Let its leases expire: only the live worker still holds the folder.
    const table = JSON.parse(readFileSync(tablePath(sb), 'utf8'));
    writeFileSync(tablePath(sb), JSON.stringify({ leases: table.leases.map((l: object) => ({ ...l, expires_at: new Date(Date.now() - 1000).toISOString() })) }));

    const refused = await buran(['reclaim', 'orphan', '--registry', sb.registry]);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain(`live worker process(es) ${pids.worker}`);
    expect(refused.stderr).toContain('buran cancel orphan');
    expect(JSON.parse(readFileSync(tablePath(sb), 'utf8')).leases.length).toBeGreaterThan(0);

    process.kill(-pids.worker, 'SIGKILL');
    await until(() => processGone(pids.worker) && processGone(pids.grandchild));
    const reclaimed = await buran(['reclaim', 'orphan', '--registry', sb.registry]);
    expect(reclaimed.code, reclaimed.stderr).toBe(0);
  });
});

describe('verification commands carry the run id', () => {
  it('have BURAN_RUN_ID and a task-like id, so cancel stops what they leave behind', async () => {
    const sb = makeSandbox();
    // The command starts a process in a session of its own (out of its group) and then hangs.
    writeFileSync(join(sb.workspace, 'escape.mjs'), `
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
const child = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
writeFileSync('escape.json', JSON.stringify({ command: process.pid, escaped: child.pid, run: process.env.BURAN_RUN_ID, task: process.env.BURAN_TASK_ID }));
setInterval(() => {}, 1000);
`);
    const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }, { verification: { allowed_commands: ['node escape.mjs'] } });
    const packet = writePacket(sb, { verification: { commands: ['node escape.mjs'] } });
    const driver = spawn(process.execPath, [CLI, 'run', packet, '--config', config, '--workspace', sb.workspace, '--registry', sb.registry, '--run-id', 'verify'], { stdio: 'ignore' });
    const probe = join(sb.workspace, 'escape.json');
    // Written by the command as it starts: read once it is whole.
    await until(() => existsSync(probe) && readFileSync(probe, 'utf8').endsWith('}'));
    const seen = JSON.parse(readFileSync(probe, 'utf8'));
    alive.push(seen.command, seen.escaped);
    expect(seen).toMatchObject({ run: 'verify', task: 'verify-e1-c1' });
    driver.kill('SIGKILL');
    await new Promise((resolve) => driver.on('exit', resolve));

    const cancel = await buran(['cancel', 'verify', '--registry', sb.registry]);
    expect(cancel.code, cancel.stderr).toBe(0);
    await until(() => processGone(seen.command) && processGone(seen.escaped), 5000);
    expect((await eventsOf(sb, 'verify')).at(-1)).toBeDefined();
  });
});
