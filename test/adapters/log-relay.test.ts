// The built log relay (dist/cli/log-relay.js) as its driver sees it, over IPC, with real processes:
// it follows a file it took before the process existed, and finishes on its own when its driver
// is gone — even one that died before it could say which process was writing.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, processGone, until } from '../helpers/sandbox.ts';

const RELAY = join(ROOT, 'dist', 'cli', 'log-relay.js');
const SECRET = 'planted-secret-4f9a8e7d6c';
const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }); });

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'buran-relay-test-'));
  dirs.push(dir);
  const rawDir = mkdtempSync(join(dir, 'raw-'));
  const relay = spawn(process.execPath, [RELAY], { detached: true, stdio: ['ignore', 'ignore', 'ignore', 'ipc'], env: { PATH: process.env.PATH ?? '' } });
  const opened = new Promise<void>((resolve) => relay.on('message', (m: { type: string }) => { if (m.type === 'opened') resolve(); }));
  return { dir, raw: join(rawDir, 'output'), log: join(dir, 'out.log'), relay, opened };
}

describe('log relay', () => {
  it('a driver that dies before naming the writer: the relay follows the file to the end, redacts it, marks it done and exits', async () => {
    const { raw, log, relay, opened } = setup();
    const fd = openSync(raw, 'a');
    relay.send({ type: 'attach', key: 'k1', raw, log, done: `${log}.done`, secrets: [SECRET], graceMs: 200 });
    await opened;
    expect(existsSync(raw)).toBe(false); // unlinked: raw output has no name on disk
    // The "driver" goes before sending the leader; the writer starts after that.
    relay.disconnect();
    const writer = spawn(process.execPath, ['-e', `let n = 0; const t = setInterval(() => { console.log('tick ' + n + ' ${SECRET}'); if (++n === 10) clearInterval(t); }, 50);`], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    await new Promise((resolve) => writer.on('exit', resolve));
    await until(() => existsSync(`${log}.done`) && processGone(relay.pid!), 15_000);
    const text = readFileSync(log, 'utf8');
    expect(text).toContain('tick 9 [REDACTED]');
    expect(text).not.toContain(SECRET);
    expect(JSON.parse(readFileSync(`${log}.done`, 'utf8'))).toMatchObject({ key: 'k1' });
  });

  it('told the exit, it marks the log done at once with everything written up to it', async () => {
    const { raw, log, relay, opened } = setup();
    const fd = openSync(raw, 'a');
    relay.send({ type: 'attach', key: 'k2', raw, log, done: `${log}.done`, secrets: [SECRET], graceMs: 60_000 });
    await opened;
    const writer = spawn(process.execPath, ['-e', `process.stdout.write('x'.repeat(3 * 1024 * 1024) + '\\n${SECRET} end\\n')`], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    relay.send({ type: 'leader', key: 'k2', leader: { pid: writer.pid, start: null } });
    await new Promise((resolve) => writer.on('exit', resolve));
    relay.send({ type: 'exited', key: 'k2' });
    await until(() => existsSync(`${log}.done`), 15_000);
    const text = readFileSync(log, 'utf8');
    expect(text.endsWith('[REDACTED] end\n')).toBe(true);
    expect(text.length).toBe(3 * 1024 * 1024 + '\n[REDACTED] end\n'.length);
    relay.kill('SIGKILL');
  });
});
