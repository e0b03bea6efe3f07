import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
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
});
