// Issue 16 validation gaps: branch names and conflict surfaces are checked by `validate` (and end
// a run blocked_plan_insufficient before any worker), and surfaces conflict however they are written.
import { afterEach, describe, expect, it } from 'vitest';
import { buran, makeSandbox, runIn, statusOf, writeConfig, writePacket } from '../helpers/sandbox.ts';
import { makeRepo } from '../helpers/git-repo.ts';


const SCM = { repo: 'acme/widgets', base_branch: 'main', intended_branch: 'buran/fixture-1' };

describe('branch names and conflict surfaces', () => {
  it('validate names every branch git would refuse and every surface that leaves the repository (exit 3)', async () => {
    const sb = makeSandbox();
    const packet = writePacket(sb, {
      scm_target: { repo: 'acme/widgets', base_branch: 'bad..ref~^:', intended_branch: '--upload-pack=evil' },
      conflict_surface: ['src/', '..', 'src/../lib/x', 'a/../../etc'],
    });
    const result = await buran(['validate', packet, '--json']);
    expect(result.code, result.stderr).toBe(3);
    const items = JSON.parse(result.stdout).packets[0].missing.map((m: { item: string }) => m.item);
    expect(items).toEqual(['scm_target.intended_branch', 'scm_target.base_branch', 'conflict_surface.1', 'conflict_surface.3']);
    for (const [branch, reason] of [['-b', /starts with "-"/], ['a b', /holds " "/], ['x.lock', /\.lock/], ['HEAD', /HEAD/]] as const) {
      const p = writePacket(sb, { scm_target: { ...SCM, intended_branch: branch } }, 'b.json');
      const check = await buran(['validate', p]);
      expect(check.code).toBe(3);
      expect(check.stdout).toMatch(reason);
    }
    const viaGithub = writePacket(sb, { scm_target: undefined, github: { repo: 'acme/widgets', issue_number: 3, intended_branch: 'a..b' } }, 'gh.json');
    expect((await buran(['validate', viaGithub])).stdout).toContain('github.intended_branch');
  });

  it('a run of such a packet ends blocked_plan_insufficient before any worker starts', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] });
    const run = await runIn(sb, config, writePacket(sb, { scm_target: { ...SCM, intended_branch: '-b' }, conflict_surface: ['../outside'] }));
    expect(run.code, run.stderr).toBe(3);
    const status = await statusOf(sb, run.runId);
    expect(status.state).toBe('blocked_plan_insufficient');
    expect(status.blockers.map((b: { item: string }) => b.item)).toEqual(['scm_target.intended_branch', 'conflict_surface.0']);
    expect(sb.calls('implementer')).toHaveLength(0);
  });

  it('a task id that is no branch name gives a default branch git accepts', async () => {
    const sb = makeSandbox();
    const packet = writePacket(sb, { task_id: 'fix: the "count" bug..', scm_target: { repo: 'acme/widgets' } });
    const result = await buran(['validate', packet]);
    expect(result.code, result.stdout).toBe(0);
  });

  it('two runs of one repo whose surfaces overlap only once normalised (src/../lib/x and LIB/) conflict', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }, { lease: { wait_ms: 0 } });
    // Own worktrees and branches: only the surfaces can conflict.
    const packet = (name: string, surface: string) => writePacket(sb, {
      task_id: name, conflict_surface: [surface], scm_target: { repo: 'acme/widgets', base_branch: 'main', intended_branch: `buran/${name}` },
    }, `${name}.json`);
    const holder = await buran(['run', packet('holder', 'src/../lib/x'), '--repo', r.repo, '--config', config, '--registry', sb.registry, '--run-id', 'holder', '--until', 'running'], { env: r.env });
    expect(holder.code, holder.stderr).toBe(6);
    const second = await buran(['run', packet('second', 'LIB/'), '--repo', r.repo, '--config', config, '--registry', sb.registry, '--run-id', 'second'], { env: r.env });
    expect(second.code, second.stderr).toBe(3);
    const blocker = (await statusOf(sb, 'second')).blocker;
    expect(blocker.code).toBe('lock_conflict');
    expect(blocker.message).toMatch(/surface:.*#lib\/x .*overlaps .*#LIB/);
    const apart = await buran(['run', packet('apart', 'src/../docs'), '--repo', r.repo, '--config', config, '--registry', sb.registry, '--run-id', 'apart'], { env: r.env });
    expect(apart.code, apart.stderr).toBe(0);
  });
});
