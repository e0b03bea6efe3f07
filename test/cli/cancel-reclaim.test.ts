import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buran, CLI, makeSandbox, runIn, statusOf, writeConfig, writePacket, processGone, until } from '../helpers/sandbox.ts';

describe('buran cancel', () => {
  it('stops a live driver and its worker (and the grandchild), ends blocked_needs_human / cancelled, idempotently', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, { implementer: ['hang'], reviewer: ['pass'] });
    const driver = spawn(process.execPath, [CLI, 'run', writePacket(sb), '--config', config, '--workspace', sb.workspace, '--registry', sb.registry, '--run-id', 'doomed'], {
      env: { ...process.env, BURAN_KILL_GRACE_MS: '300' }, stdio: ['ignore', 'pipe', 'ignore'],
    });
    let printed = '';
    driver.stdout!.on('data', (chunk) => { printed += String(chunk); });
    const driverExit = new Promise<number>((resolve) => driver.on('exit', (code) => resolve(code ?? -1)));
    await until(() => existsSync(sb.path('implementer.pids.json')));
    const pids = JSON.parse(readFileSync(sb.path('implementer.pids.json'), 'utf8'));

    const cancel = await buran(['cancel', 'doomed', '--registry', sb.registry]);
    expect(cancel.code, cancel.stderr).toBe(0);
    // The driving terminal reports the cancel (exit 3, blocked), never "stopped … next: resume".
    expect(await driverExit).toBe(3);
    expect(printed).toContain('state: blocked_needs_human');
    expect(printed).toContain('blocker: cancelled');
    expect(printed).toContain('next: none');
    expect(printed).not.toContain('resume');
    await until(() => processGone(pids.worker) && processGone(pids.grandchild), 3000);
    const status = await statusOf(sb, 'doomed');
    expect(status).toMatchObject({ state: 'blocked_needs_human', terminal: true, blocker: { code: 'cancelled' }, next_safe_action: { kind: 'none' } });

    const again = await buran(['cancel', 'doomed', '--registry', sb.registry, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ state: 'blocked_needs_human', blocker: { code: 'cancelled' } });
    expect((await buran(['resume', 'doomed', '--registry', sb.registry])).code).toBe(3);
  });

  it('stops workers a dead driver left behind, and leaves a finished run as it was', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, { implementer: ['hang'], reviewer: ['pass'] });
    const driver = spawn(process.execPath, [CLI, 'run', writePacket(sb), '--config', config, '--workspace', sb.workspace, '--registry', sb.registry, '--run-id', 'orphaned'], { stdio: 'ignore' });
    await until(() => existsSync(sb.path('implementer.pids.json')));
    const pids = JSON.parse(readFileSync(sb.path('implementer.pids.json'), 'utf8'));
    driver.kill('SIGKILL');
    await new Promise((r) => driver.on('exit', r));
    expect(processGone(pids.worker)).toBe(false);

    expect((await buran(['cancel', 'orphaned', '--registry', sb.registry])).code).toBe(0);
    await until(() => processGone(pids.worker) && processGone(pids.grandchild));
    expect((await statusOf(sb, 'orphaned')).blocker.code).toBe('cancelled');

    const done = await runIn(sb, writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }), writePacket(sb), ['--run-id', 'finished']);
    expect(done.code).toBe(0);
    expect((await buran(['cancel', 'finished', '--registry', sb.registry])).code).toBe(0);
    expect((await statusOf(sb, 'finished')).state).toBe('ready_for_manual_review');
  });

  it('exits 5 for an unknown run', async () => {
    const sb = makeSandbox();
    expect((await buran(['cancel', 'nope', '--registry', sb.registry])).code).toBe(5);
  });
});

describe('buran reclaim', () => {
  it('releases an expired lease of a dead run, never one that has not expired', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }, { lease: { wait_ms: 0 } });
    const stopped = await runIn(sb, config, writePacket(sb), ['--run-id', 'holder', '--until', 'running']);
    expect(stopped.code).toBe(6);
    const table = join(sb.registry, 'leases', 'table.json');
    const held = () => JSON.parse(readFileSync(table, 'utf8')).leases as Array<{ run_id: string; expires_at: string }>;

    const early = await buran(['reclaim', 'holder', '--registry', sb.registry]);
    expect(early.code).toBe(5);
    expect(early.stderr).toMatch(/not expired/);
    const blocked = await runIn(sb, config, writePacket(sb), ['--run-id', 'waiter']);
    expect(blocked.code).toBe(3);
    expect((await statusOf(sb, 'waiter')).blocker).toMatchObject({ code: 'lock_conflict' });
    expect((await statusOf(sb, 'waiter')).blocker.message).toContain('holder');

    expect([...new Set(held().map((l) => l.run_id))]).toEqual(['holder']);
    writeFileSync(table, JSON.stringify({ leases: held().map((l) => ({ ...l, expires_at: new Date(Date.now() - 1000).toISOString() })) }));
    const reclaim = await buran(['reclaim', 'holder', '--registry', sb.registry, '--json']);
    expect(reclaim.code, reclaim.stderr).toBe(0);
    expect(JSON.parse(reclaim.stdout).released).toEqual([`workspace:${sb.workspace}`, `surface:${sb.workspace}#src`]);
    expect(held()).toEqual([]);
    expect((await runIn(sb, config, writePacket(sb), ['--run-id', 'next'])).code).toBe(0);
  });
});
