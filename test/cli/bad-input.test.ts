import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { buran, PACKET, makeSandbox, runIn, statusOf, writeConfig, writePacket, type Sandbox } from '../helpers/sandbox.ts';

const WORKERS = { implementer: ['ok'], fixer: ['ok'], reviewer: ['pass'] };
const basePacket = () => JSON.parse(readFileSync(PACKET, 'utf8')) as Record<string, any>;
const writeRaw = (sb: Sandbox, name: string, text: string) => {
  writeFileSync(sb.path(name), text);
  return sb.path(name);
};
/** Exit 2, a message on stderr, nothing on stdout, and no registry at all. */
function expectRejected(sb: Sandbox, result: { code: number; stdout: string; stderr: string }, mention?: string | RegExp) {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr.trim()).not.toBe('');
  if (mention !== undefined) expect(result.stderr).toMatch(mention);
  expect(existsSync(sb.registry)).toBe(false);
  expect(sb.calls('implementer')).toHaveLength(0);
}
const configWith = (sb: Sandbox, mutate: (config: Record<string, any>) => void) => {
  const path = writeConfig(sb, WORKERS);
  const config = JSON.parse(readFileSync(path, 'utf8'));
  mutate(config);
  writeFileSync(path, JSON.stringify(config));
  return path;
};

describe('buran run: unusable input is exit 2 and writes nothing', () => {
  it('rejects a packet that is not valid JSON', async () => {
    const sb = makeSandbox();
    const packet = writeRaw(sb, 'packet.json', '{"task_id": "x", "approved": ');
    expectRejected(sb, await runIn(sb, writeConfig(sb, WORKERS), packet), /not valid JSON/);
  });

  it('rejects a packet that is a JSON array or a string, and a missing packet file', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, WORKERS);
    expectRejected(sb, await runIn(sb, config, writeRaw(sb, 'array.json', JSON.stringify([basePacket()]))), /object/);
    expectRejected(sb, await runIn(sb, config, writeRaw(sb, 'string.json', '"approved: true"')), /object/);
    expectRejected(sb, await runIn(sb, config, sb.path('nope.json')), /nope\.json/);
  });

  it('rejects an invalid config naming the field', async () => {
    const sb = makeSandbox();
    const packet = writePacket(sb);
    const cases: Array<[(c: Record<string, any>) => void, RegExp]> = [
      [(c) => { c.surprise = true; }, /surprise/],
      [(c) => { c.limits.max_fix_atempts = 2; }, /max_fix_atempts/],
      [(c) => { c.limits.max_fix_attempts = 'three'; }, /limits\.max_fix_attempts/],
      [(c) => { c.workers.implementer.command = []; }, /workers\.implementer\.command/],
      [(c) => { c.workers.reviewer.timeout_ms = -5; }, /workers\.reviewer\.timeout_ms/],
      [(c) => { c.verification.allowed_commands = 'node check.mjs'; }, /verification\.allowed_commands/],
    ];
    for (const [mutate, field] of cases) {
      expectRejected(sb, await runIn(sb, configWith(sb, mutate), packet), field);
    }
    expectRejected(sb, await runIn(sb, writeRaw(sb, 'broken.json', '{ "workers": '), packet), /config/);
    expectRejected(sb, await runIn(sb, sb.path('missing-config.json'), packet), /missing-config\.json/);
  });

  it('rejects bad flags: missing --workspace, --max-steps abc or 0, unknown --until state', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, WORKERS);
    const packet = writePacket(sb);
    const run = (args: string[]) => buran(['run', packet, '--config', config, '--registry', sb.registry, ...args]);
    expectRejected(sb, await run(['--workspace', sb.path('no-such-dir')]), /no-such-dir/);
    expectRejected(sb, await run(['--workspace', sb.workspace, '--max-steps', 'abc']), /max-steps/);
    expectRejected(sb, await run(['--workspace', sb.workspace, '--max-steps', '0']), /max-steps/);
    expectRejected(sb, await run(['--workspace', sb.workspace, '--until', 'nirvana']), /nirvana/);
    expectRejected(sb, await run(['--workspace', sb.workspace, '--run-id', '../escape']), /run-id/);
    expectRejected(sb, await run(['--workspace', sb.workspace, '--no-such-flag']));
  });

  it('rejects a packet list given to run', async () => {
    const sb = makeSandbox();
    const list = writeRaw(sb, 'list.json', JSON.stringify({ packets: [basePacket()] }));
    expectRejected(sb, await runIn(sb, writeConfig(sb, WORKERS), list), /batch/);
  });
});

describe('buran run: an insufficient packet still creates a run', () => {
  it('ends blocked_plan_insufficient with one blocker per missing item, exit 3, no worker started', async () => {
    const sb = makeSandbox();
    const base = basePacket();
    const packet = writePacket(sb, {
      approved: false,
      scope: { acceptance_criteria: base.scope.acceptance_criteria },
      verification: { commands: [] },
      review: {},
      scm_target: { base_branch: 'main' },
    });
    const result = await runIn(sb, writeConfig(sb, WORKERS), packet);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stdout).toMatch(/state: blocked_plan_insufficient/);

    const status = await statusOf(sb, result.runId);
    expect(status).toMatchObject({ state: 'blocked_plan_insufficient', terminal: true, current_task: null, tasks: [] });
    expect(status.blockers.every((b: any) => b.code === 'plan_insufficient')).toBe(true);
    expect(status.blockers.map((b: any) => b.item).sort()).toEqual(
      ['approved', 'review.criteria', 'scm_target.repo', 'scope.goal', 'verification.commands'],
    );
    expect(status.blocker.code).toBe('plan_insufficient');
    expect(status.next_safe_action.kind).toBe('run');
    expect(sb.calls('implementer')).toHaveLength(0);
  });

  it('reports a wrongly typed field as a missing item rather than rejecting the packet', async () => {
    const sb = makeSandbox();
    const result = await runIn(sb, writeConfig(sb, WORKERS), writePacket(sb, { review: { criteria: 'be nice' } }));
    expect(result.code, result.stderr).toBe(3);
    const status = await statusOf(sb, result.runId);
    expect(status.blockers.map((b: any) => b.item)).toEqual(['review.criteria']);
  });
});

describe('buran validate', () => {
  const validate = (sb: Sandbox, path: string, json = false) =>
    buran(['validate', path, '--registry', sb.registry, ...(json ? ['--json'] : [])], { cwd: sb.dir });
  const entries = (sb: Sandbox) => readdirSync(sb.dir).sort();

  it('exit 0 on a sufficient packet; 3 on an insufficient one, listing every missing item; writes nothing', async () => {
    const sb = makeSandbox();
    const good = writePacket(sb);
    const bad = writePacket(sb, { approved: false, implementation: {}, review: { criteria: [] } }, 'bad.json');
    const before = entries(sb);

    const ok = await validate(sb, good);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/fixture-1: sufficient/);

    const no = await validate(sb, bad);
    expect(no.code, no.stderr).toBe(3);
    for (const item of ['approved', 'implementation.instructions', 'review.criteria']) expect(no.stdout).toContain(`- ${item}:`);
    expect(no.stdout).not.toContain('- scope.goal');

    expect(entries(sb)).toEqual(before);
    expect(existsSync(sb.registry)).toBe(false);
    expect(existsSync(join(sb.dir, '.buran'))).toBe(false);
  });

  it('checks every packet of a packet list; --json lists each with its missing items', async () => {
    const sb = makeSandbox();
    const bad = { ...basePacket(), task_id: 'bad-1', scope: { goal: 'g', acceptance_criteria: [] }, github: undefined, scm_target: undefined };
    const list = writeRaw(sb, 'list.json', JSON.stringify({ packets: [basePacket(), bad] }));
    const before = entries(sb);

    const human = await validate(sb, list);
    expect(human.code, human.stderr).toBe(3);
    expect(human.stdout).toMatch(/fixture-1: sufficient/);
    expect(human.stdout).toMatch(/bad-1: insufficient/);

    const json = await validate(sb, list, true);
    expect(json.code, json.stderr).toBe(3);
    const report = JSON.parse(json.stdout);
    expect(report.sufficient).toBe(false);
    expect(report.packets).toHaveLength(2);
    expect(report.packets[0]).toMatchObject({ task_id: 'fixture-1', sufficient: true, missing: [] });
    expect(report.packets[1]).toMatchObject({ task_id: 'bad-1', sufficient: false });
    expect(report.packets[1].missing.map((m: any) => m.item).sort()).toEqual(['scm_target.repo', 'scope.acceptance_criteria']);
    expect(entries(sb)).toEqual(before);
  });

  it('is exit 2 for a packet that cannot be parsed or is not an object', async () => {
    const sb = makeSandbox();
    expect((await validate(sb, writeRaw(sb, 'x.json', '{oops'))).code).toBe(2);
    expect((await validate(sb, writeRaw(sb, 'y.json', '[]'))).code).toBe(2);
    expect((await validate(sb, writeRaw(sb, 'z.yaml', 'a: [unclosed'))).code).toBe(2);
  });
});

describe('YAML packets', () => {
  it('a YAML packet runs the same as its JSON twin', async () => {
    const sb = makeSandbox();
    const yamlPacket = writeRaw(sb, 'packet.yaml', stringify(basePacket()));
    const config = writeConfig(sb, WORKERS);
    expect((await buran(['validate', yamlPacket])).code).toBe(0);

    const fromYaml = await runIn(sb, config, yamlPacket);
    expect(fromYaml.code, fromYaml.stderr).toBe(0);
    const fromJson = await runIn(sb, config, writePacket(sb));
    expect(fromJson.code, fromJson.stderr).toBe(0);
    const shape = (s: Record<string, any>) => ({ state: s.state, epoch: s.epoch, tasks: s.tasks.map((t: any) => [t.role, t.status, t.verdict]) });
    expect(shape(await statusOf(sb, fromYaml.runId))).toEqual(shape(await statusOf(sb, fromJson.runId)));
  });

  it('an insufficient YAML packet lists the same missing items as JSON would', async () => {
    const sb = makeSandbox();
    const packet = { ...basePacket(), approved: false, verification: { commands: [] } };
    const yamlPacket = writeRaw(sb, 'packet.yml', stringify(packet));
    const result = await runIn(sb, writeConfig(sb, WORKERS), yamlPacket);
    expect(result.code, result.stderr).toBe(3);
    expect((await statusOf(sb, result.runId)).blockers.map((b: any) => b.item).sort()).toEqual(['approved', 'verification.commands']);
  });
});
