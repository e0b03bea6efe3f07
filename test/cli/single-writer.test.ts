import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { buran, CLI, makeSandbox, statusOf, writeConfig, writePacket, processGone, until } from '../helpers/sandbox.ts';

describe('one driver per run, and SIGTERM', () => {
  it('refuses a second driver with exit 5 naming the holder; SIGTERM stops the workers, persists, exits 6; resume finishes', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, { implementer: ['hang', 'ok'], reviewer: ['pass'] });
    const first = spawn(process.execPath, [CLI, 'run', writePacket(sb), '--config', config, '--workspace', sb.workspace, '--registry', sb.registry, '--run-id', 'held'], {
      env: { ...process.env, BURAN_KILL_GRACE_MS: '300' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number>((resolve) => first.on('exit', (code) => resolve(code ?? -1)));
    await until(() => existsSync(sb.path('implementer.pids.json')));
    const pids = JSON.parse(readFileSync(sb.path('implementer.pids.json'), 'utf8'));

    const second = await buran(['resume', 'held', '--registry', sb.registry]);
    expect(second.code).toBe(5);
    expect(second.stderr).toContain(`process ${first.pid}`);

    first.kill('SIGTERM');
    expect(await exited).toBe(6);
    await until(() => processGone(pids.worker) && processGone(pids.grandchild));
    const stopped = await statusOf(sb, 'held');
    expect(stopped.terminal).toBe(false);
    expect(stopped.next_safe_action).toMatchObject({ kind: 'resume', command: `buran resume held --registry ${sb.registry}` });

    const resumed = await buran(['resume', 'held', '--registry', sb.registry]);
    expect(resumed.code).toBe(0);
    expect((await statusOf(sb, 'held')).state).toBe('ready_for_manual_review');
  });
});
