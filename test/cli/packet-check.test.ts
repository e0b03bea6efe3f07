import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buran, makeSandbox, runIn, writeConfig, writePacket } from '../helpers/sandbox.ts';

// CONTRACT 2: packets that say what they mean; CONTRACT 1: `validate --config` runs the preflight.

describe('packets that say what they mean', () => {
  it('a misspelt key makes validate exit 2 with a did-you-mean, and run exit 2 with nothing written', async () => {
    const sb = makeSandbox();
    const packet = writePacket(sb, { conflict_surfaces: ['src/'] });
    const validate = await buran(['validate', packet]);
    expect(validate.code).toBe(2);
    expect(validate.stdout).toContain('error: conflict_surfaces: not a packet key; did you mean conflict_surface?');
    const run = await runIn(sb, writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }), packet);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('conflict_surfaces: not a packet key; did you mean conflict_surface?');
    expect(existsSync(sb.registry)).toBe(false);
  });

  it('a verification command with shell syntax is refused with the fix, before anything is written', async () => {
    const sb = makeSandbox();
    const packet = writePacket(sb, { verification: { commands: ['npx ava && echo done'], expectations: 'pass' } });
    const run = await runIn(sb, writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }), packet);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('holds shell syntax (&&), but commands run without a shell: list each part as its own command');
    expect(existsSync(sb.registry)).toBe(false);
    const json = JSON.parse((await buran(['validate', packet, '--json'])).stdout);
    expect(json).toMatchObject({ valid: false, packets: [{ errors: [expect.stringContaining('verification.commands.0')] }] });
  });

  it('an unknown key is reported and ignored: validate notes it, run warns on stderr and goes on', async () => {
    const sb = makeSandbox();
    const packet = writePacket(sb, { title: 'from the tracker' });
    const validate = await buran(['validate', packet]);
    expect(validate.code).toBe(0);
    expect(validate.stdout).toContain('note: unknown key title is ignored');
    const run = await runIn(sb, writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }), packet);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`packet ${packet}: unknown key title is ignored`);
  });
});

describe('validate --config: the preflight of a run, nothing written', () => {
  it('lists what a run would block on before any worker is paid for, exit 3; a config it accepts is exit 0', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }, { limits: { max_fix_attempts: 2 }, verification: { allowed_commands: [] } });
    const packet = writePacket(sb);
    const result = await buran(['validate', packet, '--config', config, '--workspace', sb.workspace, '--registry', sb.registry]);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stdout).toContain('the run would be blocked (2)');
    expect(result.stdout).toContain('preflight: adapter_unavailable: no fixer worker is configured');
    expect(result.stdout).toContain('preflight: policy_denied: verification command(s) not in verification.allowed_commands: "node check.mjs"');
    expect(existsSync(sb.registry)).toBe(false);

    const fixed = JSON.parse(readFileSync(config, 'utf8'));
    fixed.limits.max_fix_attempts = 0;
    fixed.verification.allowed_commands = ['node check.mjs'];
    writeFileSync(config, JSON.stringify(fixed));
    const ok = await buran(['validate', packet, '--config', config, '--workspace', sb.workspace, '--registry', sb.registry, '--json']);
    expect(ok.code, ok.stdout).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ valid: true, sufficient: true, preflight_checked: true, packets: [{ preflight: [] }] });
  });

  it('an invalid config is exit 2', async () => {
    const sb = makeSandbox();
    writeFileSync(sb.path('bad.json'), JSON.stringify({ workers: { implementer: { comand: ['x'] } } }));
    const result = await buran(['validate', writePacket(sb), '--config', sb.path('bad.json')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('comand');
  });
});
