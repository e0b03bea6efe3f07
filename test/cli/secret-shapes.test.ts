// Issue 16, secrets: every shape, the value of a variable passed by name (DB_URL), tokens written
// into the packet or config, and programs a worker plants for the handoff's git.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buran, makeSandbox, ROOT, runIn, statusOf, writeConfig, writePacket, type Sandbox } from '../helpers/sandbox.ts';
import { makeRepo } from '../helpers/git-repo.ts';


const HOSTILE = join(ROOT, 'test', 'fixtures', 'hostile-worker.mjs');
const DB_URL = 'mysql://root@10.1.2.3/production-db';
const TOKEN = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';
const LEAKS = ['MIIEowIBAAKCAQEA7Yn3kqLEAKED', 'pw-LEAKED-1', 'npm_LEAKED', 'AIzaSyLEAKED', 'LEAKEDtnFEMI', 'TEVBS0VEOnBhc3N3b3Jk', DB_URL, TOKEN, 'planted-secret-4f9a8e7d6c'];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const stats = statSync(path);
    return stats.isDirectory() ? filesUnder(path) : stats.isFile() ? [path] : [];
  });
}

/** Nothing under the registry, nor in these outputs, holds any of the planted values. */
async function expectNoLeak(sb: Sandbox, runId: string, printed: string) {
  for (const file of filesUnder(join(sb.registry, 'runs'))) {
    const text = readFileSync(file, 'utf8');
    for (const leak of LEAKS) expect(text, `${file} holds ${leak}`).not.toContain(leak);
  }
  const outputs = [printed];
  for (const args of [['status', runId, '--json'], ['events', runId, '--json'], ['events', runId], ['list']]) {
    const out = await buran([...args, '--registry', sb.registry]);
    outputs.push(out.stdout + out.stderr);
  }
  for (const out of outputs) for (const leak of LEAKS) expect(out).not.toContain(leak);
}

function hostileImplementer(sb: Sandbox, mode: string, extra: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}): string {
  const path = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }, overrides);
  const config = JSON.parse(readFileSync(path, 'utf8'));
  config.workers.implementer = {
    command: ['node', HOSTILE, '--log', sb.path('implementer.calls.jsonl'), '--sequence', mode, '--outside', sb.path('planted.log')], ...extra,
  };
  writeFileSync(path, JSON.stringify(config));
  return path;
}

describe('worker output', () => {
  it('PEM keys, URL passwords, npm, Google and AWS keys, Basic auth and a DB_URL passed by name never reach the registry or any output', async () => {
    const sb = makeSandbox();
    const config = hostileImplementer(sb, 'leak-shapes', { env: ['DB_URL'] });
    const run = await runIn(sb, config, writePacket(sb), [], { DB_URL });
    expect(run.code, run.stderr).toBe(0);
    const log = readFileSync(join(sb.registry, 'runs', run.runId, 'tasks', 't1-implementer', 'output.log'), 'utf8');
    expect(log).toContain('[REDACTED]');
    expect(log).toContain('db: [REDACTED]');
    await expectNoLeak(sb, run.runId, run.stdout + run.stderr);
  });
});

describe('secrets written into the packet or the config', () => {
  it('a token in the instructions is recorded redacted everywhere (packet, run, intake, snapshot, task file, journal) and printed redacted', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] });
    const packet = writePacket(sb, { implementation: { instructions: `Use ${TOKEN} to call the API` }, scope: { goal: `Fix it (token ${TOKEN})`, acceptance_criteria: ['works'] } });
    const run = await runIn(sb, config, packet);
    expect(run.code, run.stderr).toBe(0);
    const taskFile = JSON.parse(readFileSync(join(sb.registry, 'runs', run.runId, 'tasks', 't1-implementer', 'task.json'), 'utf8'));
    expect(taskFile.packet.implementation.instructions).toContain('Use [REDACTED] to call the API');
    await expectNoLeak(sb, run.runId, run.stdout + run.stderr);
  });

  it('a verification command holding a token is a packet item (validate exit 3; the run ends blocked_plan_insufficient), never recorded', async () => {
    const sb = makeSandbox();
    const command = `curl -H "Authorization: Bearer ${TOKEN}" https://api.example.com`;
    const packet = writePacket(sb, { verification: { commands: ['node check.mjs', command] } });
    const validate = await buran(['validate', packet]);
    expect(validate.code).toBe(3);
    expect(validate.stdout).toMatch(/verification\.commands\.1: .*looks like a secret/);
    expect(validate.stdout).not.toContain(TOKEN);
    const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }, { verification: { allowed_commands: ['node check.mjs'] } });
    const run = await runIn(sb, config, packet);
    expect(run.code, run.stderr).toBe(3);
    expect((await statusOf(sb, run.runId)).blockers.map((b: { item: string }) => b.item)).toEqual(['verification.commands.1']);
    expect(sb.calls('implementer')).toHaveLength(0);
    await expectNoLeak(sb, run.runId, run.stdout + run.stderr);
  });

  it('a config holding a token (a worker\'s Authorization argument) is exit 2 naming the field, nothing written', async () => {
    const sb = makeSandbox();
    const path = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] });
    const config = JSON.parse(readFileSync(path, 'utf8'));
    config.workers.implementer.command.push('--header', `Authorization: Bearer ${TOKEN}`);
    writeFileSync(path, JSON.stringify(config));
    const run = await runIn(sb, path, writePacket(sb));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/workers\.implementer\.command\.\d+: holds a token/);
    expect(run.stderr).not.toContain(TOKEN);
    expect(existsSync(sb.registry)).toBe(false);
  });
});

describe('every line a command prints', () => {
  it('is redacted, whatever produced it: an error quoting a config key or a flag that holds a token', async () => {
    const sb = makeSandbox();
    const config = sb.path('odd.json');
    writeFileSync(config, JSON.stringify({ handoff: { [`Bearer ${TOKEN}`]: true }, lease: { [`postgres://u:pw-LEAKED-1@h/db`]: 1 } }));
    const run = await runIn(sb, config, writePacket(sb));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Unrecognized key/);
    const flag = await buran(['list', `--${TOKEN}`]);
    expect(flag.code).toBe(2);
    for (const out of [run.stdout + run.stderr, flag.stdout + flag.stderr]) for (const leak of LEAKS) expect(out).not.toContain(leak);
    const json = await runIn(sb, config, writePacket(sb), ['--json']);
    expect(() => JSON.parse(json.stdout)).not.toThrow();
    expect(json.stdout).not.toContain(TOKEN);
  });
});

describe('the handoff\'s git steps', () => {
  it.each([['git-branch'], ['local']])('run no filter, hook or fsmonitor a worker planted in the repository (%s handoff)', async (kind) => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    const config = hostileImplementer(sb, 'plant-git', {}, { handoff: { kind } });
    const run = await buran(['run', writePacket(sb), '--repo', r.repo, '--config', config, '--registry', sb.registry], {
      env: { ...r.env, BURAN_TEST_SECRET_TOKEN: 'planted-secret-4f9a8e7d6c' },
    });
    expect(run.code, run.stderr).toBe(0);
    // The worker's own git calls ran nothing either way; only the handoff could have run them.
    expect(existsSync(sb.path('planted.log')), existsSync(sb.path('planted.log')) ? readFileSync(sb.path('planted.log'), 'utf8') : '').toBe(false);
    const runId = run.stdout.split('\n')[0]!;
    const patch = readFileSync(join(sb.registry, 'runs', runId, 'handoff', 'patch.diff'), 'utf8');
    expect(patch).toContain('+the change');
    if (kind === 'git-branch') expect(r.git('show', '--stat', 'buran/fixture-1')).toContain('feature.txt');
  });
});
