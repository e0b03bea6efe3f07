import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareWorktree, removeWorktree, WorktreeError } from '../../adapters/worktree.ts';
import { withFileMutex } from '../../persistence/file-mutex.ts';
import { makeTempDir } from '../helpers/temp.ts';

function repo() {
  const dir = makeTempDir('buran-worktree-');
  const path = join(dir, 'repo');
  mkdirSync(path);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: path, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } }).trim();
  git('init', '-q', '-b', 'main');
  writeFileSync(join(path, 'a.txt'), 'a\n');
  git('add', '.');
  git('commit', '-qm', 'init');
  return { dir, path, git };
}

describe('worktrees', () => {
  it('twelve prepared at once under the worktree mutex all exist, each on its own new branch from main', async () => {
    const r = repo();
    const lock = join(r.dir, 'worktrees.lock');
    const made = await Promise.all(Array.from({ length: 12 }, (_, i) =>
      withFileMutex(lock, () => prepareWorktree({ repo: r.path, path: join(r.dir, 'wt', `w${i}`), branch: `b${i}`, base: 'main' }))));
    expect(made.every((m) => !m.reused && m.head !== null)).toBe(true);
    for (let i = 0; i < 12; i++) expect(r.git('-C', join(r.dir, 'wt', `w${i}`), 'symbolic-ref', '--short', 'HEAD')).toBe(`b${i}`);
    expect(r.git('worktree', 'list').split('\n')).toHaveLength(13);
  });

  it('is idempotent, continues an existing branch, remakes a half-made folder, and names a missing base', async () => {
    const r = repo();
    const spec = { repo: r.path, path: join(r.dir, 'wt'), branch: 'feature', base: 'main' };
    await prepareWorktree(spec);
    expect((await prepareWorktree(spec)).reused).toBe(true);

    await removeWorktree(r.path, spec.path);
    expect(existsSync(spec.path)).toBe(false);
    expect(r.git('rev-parse', '--verify', 'feature')).toBe(r.git('rev-parse', 'main'));
    const again = await prepareWorktree(spec);
    expect(again.reused).toBe(false);

    await removeWorktree(r.path, spec.path);
    mkdirSync(spec.path);
    writeFileSync(join(spec.path, 'junk'), 'left by a crash');
    await prepareWorktree(spec);
    expect(existsSync(join(spec.path, 'junk'))).toBe(false);
    expect(existsSync(join(spec.path, 'a.txt'))).toBe(true);

    await expect(prepareWorktree({ ...spec, path: join(r.dir, 'other'), branch: 'x', base: 'release-9' })).rejects.toThrow(WorktreeError);
    await expect(prepareWorktree({ ...spec, path: join(r.dir, 'other'), branch: 'x', base: 'release-9' })).rejects.toThrow(/base branch "release-9"/);
  });
});
