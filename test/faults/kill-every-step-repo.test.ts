import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buran, makeSandbox, writeConfig, writePacket } from '../helpers/sandbox.ts';
import { makeRepo } from '../helpers/git-repo.ts';
import { ending } from './crash-harness.ts';

const BRANCH = 'buran/fixture-1';

/** A --repo run with a git-branch handoff, the driver SIGKILLed at `fault` (or not), resumed to its end. */
async function repoRun(fault: string | null) {
  const sb = makeSandbox();
  const r = makeRepo(sb);
  const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'], args: { implementer: ['--touch', 'fixed.txt'] } }, {
    handoff: { kind: 'git-branch' }, lease: { wait_ms: 0 },
  });
  const args = ['run', writePacket(sb), '--repo', r.repo, '--config', config, '--registry', sb.registry, '--run-id', 'crash'];
  const first = await buran(args, { env: { ...r.env, ...(fault ? { BURAN_FAULT_KILL: fault } : {}) } });
  // Without a fault the run finishes; with one, the driver must really have died there.
  expect(first.code === 0, `${fault}: ${first.stderr}`).toBe(fault === null);
  const resumed = await buran(['resume', 'crash', '--registry', sb.registry], { env: r.env });
  expect(resumed.code, `${fault}: ${resumed.stderr}`).toBe(0);
  const end = await ending(sb, 'crash');
  const table = JSON.parse(readFileSync(join(sb.registry, 'leases', 'table.json'), 'utf8'));
  return {
    ...end,
    // Exactly one commit on the branch past main, holding the worker's change: never committed twice.
    commits: r.git('rev-list', '--count', `main..${BRANCH}`),
    files: r.git('show', '--name-only', '--format=', BRANCH),
    leases: table.leases.length,
    checkout: r.git('status', '--porcelain'),
  };
}

// Worktree creation, leases and the git-branch handoff are effects too: killed after each
// journal write, the resumed run must end as an uninterrupted one, with one commit.
describe('SIGKILL at every step: a --repo run with a git-branch handoff', () => {
  it('resumes to the same ending, one commit on the branch, no lease left, the checkout untouched', { timeout: 300_000 }, async () => {
    const ref = await repoRun(null);
    expect(ref).toMatchObject({ state: 'ready_for_manual_review', commits: '1', files: 'fixed.txt', leases: 0, checkout: '' });
    for (let seq = 1; seq < ref.lastSeq; seq++) {
      const got = await repoRun(`journal:${seq}`);
      expect({ fault: seq, ...got, lastSeq: 0 }).toEqual({ fault: seq, ...ref, lastSeq: 0 });
    }
  });
});
