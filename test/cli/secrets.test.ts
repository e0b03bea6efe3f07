import { describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buran, makeSandbox, runIn, writeConfig, writePacket } from '../helpers/sandbox.ts';

const SECRET = 'planted-secret-4f9a8e7d6c';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('secrets', () => {
  it('a secret passed to a worker and echoed in its output and completion never reaches the registry or any output', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, { implementer: ['leak-secret'], reviewer: ['pass'], extra: { env: ['BURAN_TEST_SECRET_TOKEN'] } });
    const run = await runIn(sb, config, writePacket(sb), [], { BURAN_TEST_SECRET_TOKEN: SECRET });
    expect(run.code, run.stderr).toBe(0);
    expect(sb.calls('implementer')[0]!.secret_seen).toBe(SECRET);

    const files = filesUnder(sb.registry);
    expect(files.some((f) => f.endsWith('output.log'))).toBe(true);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toContain(SECRET);
      expect(text, file).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123456789');
    }
    for (const args of [['status', run.runId, '--json'], ['events', run.runId, '--json'], ['list']]) {
      const out = await buran([...args, '--registry', sb.registry]);
      expect(out.stdout + out.stderr).not.toContain(SECRET);
    }
    expect(run.stdout + run.stderr).not.toContain(SECRET);
  });

  it('status hides a secret that a record holds from before it was known, also where JSON escapes its characters', async () => {
    // A workspace path that holds what is later a secret's value, with a quote and a backslash
    // (written \" and \\ in --json output: the value as it is would not be found there).
    const value = 'se"cr\\et-77310';
    const sb = makeSandbox();
    const workspace = sb.path(`ws-${value}`);
    mkdirSync(workspace);
    const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] });
    // How the run ends does not matter here (its check may not run from such a folder): it is recorded.
    await buran(['run', writePacket(sb), '--config', config, '--workspace', workspace, '--registry', sb.registry, '--run-id', 'r1']);
    const env = { BURAN_TEST_LATER_TOKEN: value };
    const escaped = JSON.stringify(value).slice(1, -1);
    expect(escaped).not.toBe(value);

    const json = await buran(['status', 'r1', '--json', '--registry', sb.registry], { env });
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout).not.toContain(value);
    expect(json.stdout).not.toContain(escaped);
    expect(JSON.parse(json.stdout).workspace.path).toBe(sb.path('ws-[REDACTED]'));
    const human = await buran(['status', 'r1', '--registry', sb.registry], { env });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).not.toContain(value);
    expect(human.stdout).toContain(sb.path('ws-[REDACTED]'));
    // Without the secret, the same report shows the path as it is.
    expect((await buran(['status', 'r1', '--json', '--registry', sb.registry])).stdout).toContain(escaped);
  });
});
