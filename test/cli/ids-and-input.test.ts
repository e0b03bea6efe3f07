// Issue 16, "records and ids" and "validation gaps": every command checks the run id, the
// registry flag and its input before anything is read or written, and exits as documented.
import { afterEach, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buran, CLI, makeSandbox, PACKET, runIn, writeConfig, writePacket, type Sandbox } from '../helpers/sandbox.ts';


const WORKERS = { implementer: ['ok'], reviewer: ['pass'] };

/** A folder beside the registry that a `../` id would reach, holding a fake run with a live process's pid. */
function victimBeside(sb: Sandbox): string {
  const victim = sb.path('victim');
  mkdirSync(join(victim, 'tasks', 't1'), { recursive: true });
  writeFileSync(join(victim, 'run.json'), '{}');
  // A live process (this test runner) recorded as the run's worker: nothing may signal it.
  writeFileSync(join(victim, 'tasks', 't1', 'dispatch.json'), JSON.stringify({ task_id: 't1', process: { pid: process.pid, start: null } }));
  return victim;
}

describe('every command validates the run id: exit 2, nothing read or written', () => {
  const BAD_IDS = ['../../victim', '..', '', 'a/b', '.hidden', 'x'.repeat(101)];
  const commands: Array<[string, (id: string) => string[]]> = [
    ['status', (id) => ['status', id]],
    ['events', (id) => ['events', id]],
    ['cancel', (id) => ['cancel', id]],
    ['reclaim', (id) => ['reclaim', id]],
    ['resume', (id) => ['resume', id]],
    ['run --run', (id) => ['run', '--run', id]],
    ['clean', (id) => ['clean', id]],
    ['batch --resume', (id) => ['batch', '--resume', id]],
  ];

  it.each(commands)('%s', async (_name, args) => {
    const sb = makeSandbox();
    mkdirSync(join(sb.registry, 'runs'), { recursive: true });
    const victim = victimBeside(sb);
    const before = readdirSync(victim).sort();
    for (const id of BAD_IDS) {
      const result = await buran([...args(id), '--registry', sb.registry]);
      expect(result.code, `${args(id).join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(/is not a (run|batch) id/);
      expect(result.stdout).toBe('');
    }
    // `cancel ../../victim` once wrote quarantine.json there and signalled the pids it found.
    expect(readdirSync(victim).sort()).toEqual(before);
    expect(readdirSync(join(sb.registry, 'runs'))).toEqual([]);
  });

  it('inspect ID refuses a bad id too', async () => {
    const sb = makeSandbox();
    const result = await buran(['inspect', '../x', '--port', '0', '--registry', sb.registry]);
    expect(result.code).toBe(2);
    expect(existsSync(sb.registry)).toBe(false);
  });
});

describe('--registry that cannot hold a registry', () => {
  it('a file is exit 2 with a clear message for readers and writers, nothing written', async () => {
    const sb = makeSandbox();
    const file = sb.path('not-a-folder');
    writeFileSync(file, 'x');
    const config = writeConfig(sb, WORKERS);
    for (const args of [['list'], ['status', 'some-run'], ['events', 'some-run'], ['run', writePacket(sb), '--config', config, '--workspace', sb.workspace]]) {
      const result = await buran([...args, '--registry', file]);
      expect(result.code, `${args[0]}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain('is a file, not a folder');
      expect(result.stderr).not.toMatch(/internal error|\n\s+at /);
    }
    expect(readFileSync(file, 'utf8')).toBe('x');
    expect(sb.calls('implementer')).toHaveLength(0);
  });

  it('a pseudo file system (/proc/1) is exit 2 at once, not a spin', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, WORKERS);
    // Node's recursive mkdir loops forever there; the command must end on its own.
    const result = await new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) => {
      execFile(process.execPath, [CLI, 'run', writePacket(sb), '--config', config, '--workspace', sb.workspace, '--registry', '/proc/1'], { timeout: 20_000 }, (error, _out, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, signal: error?.signal ?? null, stderr });
      });
    });
    expect(result.signal).toBeNull();
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/--registry \/proc\/1\/runs: cannot be created/);
    expect(sb.calls('implementer')).toHaveLength(0);
  });
});

/** Runs the CLI with stdout piped, reads the first line, then closes the pipe (`… | head -1`). */
function firstLineThenClose(args: string[]): Promise<{ line: string; code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BURAN_KILL_GRACE_MS: '300' } });
    let out = '';
    let err = '';
    let line: string | null = null;
    child.stderr.on('data', (d) => { err += d; });
    child.stdout.on('data', (d) => {
      out += d;
      if (line === null && out.includes('\n')) {
        line = out.slice(0, out.indexOf('\n'));
        child.stdout.destroy();
      }
    });
    child.on('exit', (code) => resolve({ line: line ?? out, code, stderr: err }));
  });
}

describe('a reader that closes the pipe early (EPIPE)', () => {
  it('`buran run … | head -1` gets the run id and the run still ends as it would, quietly', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, WORKERS);
    const result = await firstLineThenClose(['run', writePacket(sb), '--config', config, '--workspace', sb.workspace, '--registry', sb.registry]);
    expect(result.stderr).not.toMatch(/EPIPE|internal error|\n\s+at /);
    expect(result.code).toBe(0);
    const status = await buran(['status', result.line, '--json', '--registry', sb.registry]);
    expect(JSON.parse(status.stdout).state).toBe('ready_for_manual_review');
  });

  it('reader commands (list, events, status, graph, --help) exit quietly too', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, WORKERS);
    const runs: string[] = [];
    for (const id of ['r1', 'r2', 'r3']) runs.push((await runIn(sb, config, writePacket(sb), ['--run-id', id])).runId);
    for (const args of [['list'], ['events', 'r1'], ['status', 'r1'], ['graph'], ['graph', '--format', 'scxml'], ['--help']]) {
      const result = await firstLineThenClose([...args, '--registry', sb.registry]);
      expect(result.stderr, args.join(' ')).not.toMatch(/EPIPE|internal error|\n\s+at /);
      expect(result.code, args.join(' ')).toBe(0);
    }
  });
});

describe('packet and list input', () => {
  it('a UTF-8 byte-order mark before a JSON packet or config is accepted', async () => {
    const sb = makeSandbox();
    const packet = sb.path('bom.json');
    writeFileSync(packet, `\uFEFF${readFileSync(PACKET, 'utf8')}`);
    const config = writeConfig(sb, WORKERS);
    writeFileSync(config, `\uFEFF${readFileSync(config, 'utf8')}`);
    expect((await buran(['validate', packet])).code).toBe(0);
    const run = await runIn(sb, config, packet);
    expect(run.code, run.stderr).toBe(0);
  });

  it('a packet nested thousands deep is exit 2 for validate and run, nothing written', async () => {
    const sb = makeSandbox();
    let deep = '1';
    for (let i = 0; i < 5000; i++) deep = `{"k":${deep}}`;
    const text = readFileSync(PACKET, 'utf8').replace(/^\{/, `{"extra": ${deep},`);
    const packet = sb.path('deep.json');
    writeFileSync(packet, text);
    const validate = await buran(['validate', packet]);
    expect(validate.code, validate.stderr).toBe(2);
    expect(validate.stderr).toMatch(/nested more than 64 levels deep \(at extra\.k\.k/);
    const run = await runIn(sb, writeConfig(sb, WORKERS), packet);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).not.toMatch(/internal error/);
    expect(existsSync(sb.registry)).toBe(false);
  });

  it('validate and batch agree on a list holding non-objects, an empty list and a "packets" that is no list: exit 2', async () => {
    const sb = makeSandbox();
    const packet = JSON.parse(readFileSync(PACKET, 'utf8'));
    const config = writeConfig(sb, WORKERS);
    const cases: Array<[unknown, RegExp]> = [
      [{ packets: [packet, 'not a packet'] }, /packets\[1\] must be a JSON\/YAML object \(a packet\), not a string/],
      [{ packets: [packet, null] }, /packets\[1\] must be .* not null/],
      [{ packets: [[packet]] }, /packets\[0\] must be .* not a list/],
      [{ packets: [] }, /"packets" is empty/],
      [{ packets: 'a.json' }, /"packets" must be a list of packets/],
    ];
    for (const [doc, message] of cases) {
      const list = sb.path('list.json');
      writeFileSync(list, JSON.stringify(doc));
      const validate = await buran(['validate', list]);
      const batch = await buran(['batch', list, '--config', config, '--workspace', sb.workspace, '--registry', sb.registry]);
      for (const result of [validate, batch]) {
        expect(result.code, `${JSON.stringify(doc)}: ${result.stderr}`).toBe(2);
        expect(result.stderr).toMatch(message);
      }
    }
    expect(existsSync(sb.registry)).toBe(false);
  });
});

describe('config durations are bounded so every one can reach a timer', () => {
  const TOO_LONG = 2 ** 31;
  const cases: Array<[string, (c: Record<string, any>) => void]> = [
    ['verification.timeout_ms', (c) => { c.verification.timeout_ms = TOO_LONG; }],
    ['lease.ttl_ms', (c) => { c.lease = { ttl_ms: 6.4e9 }; }],
    ['lease.wait_ms', (c) => { c.lease = { wait_ms: TOO_LONG }; }],
    ['lease.poll_ms', (c) => { c.lease = { poll_ms: TOO_LONG }; }],
    ['workers.implementer.timeout_ms', (c) => { c.workers.implementer.timeout_ms = TOO_LONG; }],
    ['workers.implementer.idle_timeout_ms', (c) => { c.workers.implementer.idle_timeout_ms = TOO_LONG; }],
  ];
  it.each(cases)('%s above its bound is exit 2 naming the field and the bound', async (field, mutate) => {
    const sb = makeSandbox();
    const path = writeConfig(sb, WORKERS);
    const config = JSON.parse(readFileSync(path, 'utf8'));
    mutate(config);
    writeFileSync(path, JSON.stringify(config));
    const result = await runIn(sb, path, writePacket(sb));
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(field);
    expect(result.stderr).toMatch(/must be at most \d+ ms/);
    expect(existsSync(sb.registry)).toBe(false);
  });
});

describe('many dispatches in one driver', () => {
  it('more than ten dispatches print no MaxListenersExceededWarning (every abort listener is removed)', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, { implementer: ['missing'], reviewer: ['pass'] }, { limits: { max_fix_attempts: 0, max_dispatch_retries: 12 } });
    const run = await runIn(sb, config, writePacket(sb));
    expect(run.code, run.stderr).toBe(3);
    expect(sb.calls('implementer')).toHaveLength(13);
    expect(run.stderr).not.toContain('MaxListenersExceededWarning');
  });
});
