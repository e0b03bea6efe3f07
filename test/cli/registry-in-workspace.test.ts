import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buran, makeSandbox, writePacket, type Sandbox } from '../helpers/sandbox.ts';
import { makeRepo, type FixtureRepo } from '../helpers/git-repo.ts';

// CONTRACT 6: a registry inside the workspace (the default ./.buran of a run started in the repo)
// is never shown to workers as a change, never committed and never part of a patch.

const EDIT = join(import.meta.dirname, '..', 'fixtures', 'edit-worker.mjs');

/** Workers that really edit src/count.js and log what `git status` shows them. */
function config(sb: Sandbox): string {
  const seen = sb.path('git-status.jsonl');
  const path = sb.path('config.json');
  writeFileSync(path, JSON.stringify({
    workers: {
      implementer: { command: ['node', EDIT, '--git-status', seen, '--set', 'src/count.js', 'export const count = (xs) => xs.length;\n', '--git-status', seen] },
      reviewer: { command: ['node', EDIT, '--git-status', seen, '--verdict', 'PASS'] },
    },
    verification: { allowed_commands: ['node check.mjs'] },
    limits: { max_fix_attempts: 0 },
    handoff: { kind: 'git-branch' },
  }));
  return path;
}

const statusesSeen = (sb: Sandbox) => readFileSync(sb.path('git-status.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { role: string; status: string[] });

const changedIn = (r: FixtureRepo, commit: string) => r.git('diff-tree', '-r', '--root', '--no-commit-id', '--name-only', commit).split('\n').filter(Boolean);

describe('a registry inside the workspace stays out of the work', () => {
  it('run in the repo itself with the default ./.buran: workers never see it, the commit and the patch hold only their change', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    // Started from inside the checkout, no --registry and no --workspace: both are the repo.
    const result = await buran(['run', writePacket(sb), '--config', config(sb), '--run-id', 'inside'], { cwd: r.repo, env: r.env });
    expect(result.code, result.stderr).toBe(0);

    for (const seen of statusesSeen(sb)) expect(seen.status.filter((line) => line.includes('.buran')), seen.role).toEqual([]);
    expect(statusesSeen(sb).find((s) => s.role === 'reviewer')!.status).toEqual([' M src/count.js']);
    expect(changedIn(r, 'buran/fixture-1')).toEqual(['src/count.js']);
    const patch = readFileSync(join(r.repo, '.buran', 'runs', 'inside', 'handoff', 'patch.diff'), 'utf8');
    expect(patch).toContain('src/count.js');
    expect(patch).not.toContain('.buran');
    // The registry is there, full of records, and git does not see it.
    expect(readFileSync(join(r.repo, '.buran', '.gitignore'), 'utf8')).toMatch(/^\*$/m);
    expect(r.git('status', '--porcelain', '--untracked-files=all', '--ignored=no')).toBe('M src/count.js');
    expect(r.git('check-ignore', '.buran/runs/inside/journal.jsonl')).toBe('.buran/runs/inside/journal.jsonl');
  });

  it('--repo . from inside the checkout: the run works in a worktree under ./.buran and leaves the checkout with nothing untracked', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    const result = await buran(['run', writePacket(sb), '--config', config(sb), '--repo', '.', '--run-id', 'wt'], { cwd: r.repo, env: r.env });
    expect(result.code, result.stderr).toBe(0);
    for (const seen of statusesSeen(sb)) expect(seen.status.filter((line) => line.includes('.buran')), seen.role).toEqual([]);
    expect(changedIn(r, 'buran/fixture-1')).toEqual(['src/count.js']);
    expect(r.git('status', '--porcelain', '--untracked-files=all')).toBe('');
  });
});
