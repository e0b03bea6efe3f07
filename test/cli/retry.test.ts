import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buran, makeSandbox, runAsWritten, runIn, statusOf, writeConfig, writePacket, type Sandbox } from '../helpers/sandbox.ts';
import { makeRepo, type FixtureRepo } from '../helpers/git-repo.ts';

// CONTRACT 1 `buran retry`, and CONTRACT 5: a blocked run's next_safe_action can be carried out as written.

const editConfig = (path: string, edit: (c: any) => void) => {
  const c = JSON.parse(readFileSync(path, 'utf8'));
  edit(c);
  writeFileSync(path, JSON.stringify(c));
};

async function runRepo(sb: Sandbox, r: FixtureRepo, config: string, runId: string) {
  return buran(['run', writePacket(sb), '--repo', r.repo, '--config', config, '--registry', sb.registry, '--run-id', runId], { env: r.env });
}

describe('buran retry', () => {
  it('after a config problem: fix the config, run the advised command as written; the runs are linked both ways', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }, { limits: { max_fix_attempts: 2 } });
    const first = await runIn(sb, config, writePacket(sb), ['--run-id', 'first']);
    expect(first.code).toBe(3);
    const blocked = await statusOf(sb, 'first');
    expect(blocked.next_safe_action).toEqual({
      kind: 'retry', command: `buran retry first --config ${config} --registry ${sb.registry}`,
      reason: expect.stringContaining('adapter_unavailable: fix the config'),
    });
    expect(blocked.blocker.message).not.toMatch(/resume/);

    editConfig(config, (c) => { c.workers.fixer = c.workers.implementer; });
    const again = await runAsWritten(sb, blocked.next_safe_action.command);
    expect(again.code, again.stderr).toBe(0);
    const second = again.stdout.split('\n')[0]!;
    expect(second).toMatch(/^fixture-1-/);
    expect(again.stderr).toContain(`retrying run first as run ${second}, config ${config}`);
    expect(await statusOf(sb, second)).toMatchObject({ state: 'ready_for_manual_review', retry_of: 'first', retried_by: [] });
    expect(await statusOf(sb, 'first')).toMatchObject({
      state: 'blocked_needs_human', retried_by: [second], next_safe_action: { kind: 'none', reason: expect.stringContaining(`retried as run ${second}`) },
    });
  });

  it('a run that has not finished is not retried (exit 5: resume it); an unknown one neither', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] });
    expect((await runIn(sb, config, writePacket(sb), ['--run-id', 'half', '--until', 'running'])).code).toBe(6);
    const refused = await buran(['retry', 'half', '--registry', sb.registry]);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('buran resume half');
    expect((await buran(['retry', 'nope', '--registry', sb.registry])).code).toBe(5);
  });

  it('--repo: a kept worktree holds the branch, so the advice is clean, then retry; the retry says it continues the branch', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }, { workspace: { setup: [['node', '-e', 'process.exit(9)']] } });
    expect((await runRepo(sb, r, config, 'kept')).code).toBe(3);
    const blocked = await statusOf(sb, 'kept');
    expect(blocked.blocker.code).toBe('workspace_setup_failed');
    expect(blocked.next_safe_action).toMatchObject({ kind: 'clean', command: `buran clean kept --registry ${sb.registry}` });
    expect(blocked.next_safe_action.reason).toContain(`buran retry kept --config ${config} --registry ${sb.registry}`);

    const cleaned = await runAsWritten(sb, blocked.next_safe_action.command, r.env);
    expect(cleaned.code, cleaned.stderr).toBe(0);
    const after = await statusOf(sb, 'kept');
    expect(after.next_safe_action).toMatchObject({ kind: 'retry', command: `buran retry kept --config ${config} --registry ${sb.registry}` });

    editConfig(config, (c) => { c.workspace.setup = []; });
    const retried = await runAsWritten(sb, after.next_safe_action.command, r.env);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stderr).toContain('branch buran/fixture-1 exists, 0 ahead / 0 behind main: continuing it');
    const id = retried.stdout.split('\n')[0]!;
    const events = (await buran(['events', id, '--json', '--registry', sb.registry])).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(events.find((e) => e.type === 'workspace.ready')).toMatchObject({ continued: { ahead: 0, behind: 0, base: 'main' } });
  });

  it('a new run whose branch another run\'s kept worktree holds is blocked at intake, no worker paid; the advice (clean that run) works as written', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    const holderConfig = writeConfig(sb, { implementer: ['ok'], reviewer: ['review-blocked'] });
    expect((await runRepo(sb, r, holderConfig, 'holder')).code).toBe(3);
    const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] });
    const calls = sb.calls('implementer').length;
    expect((await runRepo(sb, r, config, 'late')).code).toBe(3);
    const late = await statusOf(sb, 'late');
    expect(late.blocker).toMatchObject({ code: 'lock_conflict', run_ref: 'holder', message: expect.stringContaining('(the kept worktree of run holder)') });
    expect(late.state).toBe('blocked_needs_human');
    expect(sb.calls('implementer')).toHaveLength(calls);
    expect(late.next_safe_action).toMatchObject({ kind: 'clean', command: `buran clean holder --registry ${sb.registry}` });
    expect((await runAsWritten(sb, late.next_safe_action.command, r.env)).code).toBe(0);
    const retried = await buran(['retry', 'late', '--registry', sb.registry], { env: r.env });
    expect(retried.code, retried.stderr).toBe(0);
  });
});
