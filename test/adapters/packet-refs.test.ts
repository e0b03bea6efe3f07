// Branch names the packet gives are checked by the same rules git applies (`git check-ref-format
// --branch`), compared here with git itself; conflict surfaces resolve like paths in the repo.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import fc from 'fast-check';
import { branchNameProblem, branchSlug, normalizeSurfacePath } from '../../schemas/packet-refs.ts';

const gitAccepts = (name: string) => spawnSync('git', ['check-ref-format', '--branch', name], { cwd: tmpdir(), stdio: 'ignore' }).status === 0;

describe('branchNameProblem agrees with git check-ref-format --branch', () => {
  it.each([
    'main', 'feature/x', 'buran/demo-1', 'x.lock.y', 'ü-ok', '@',
    '-b', '--upload-pack=evil', 'bad..ref~^:', 'a/.b', 'a.lock', 'a/b.lock/c', 'a/', '/a', 'a//b', 'a.', 'a@{b', 'HEAD',
    'a b', 'a\\b', '.a', 'a\tb', 'a\u007fb', 'what?', 'glob*', 'x[1]',
  ])('%j', (name) => {
    expect(branchNameProblem(name) === null, JSON.stringify(branchNameProblem(name))).toBe(gitAccepts(name));
  });

  it('on random names built from the characters that matter', () => {
    const part = fc.array(fc.constantFrom('a', 'b', '.', '/', '-', '@', '{', '~', ' ', 'lock', '\\', ':'), { minLength: 1, maxLength: 8 }).map((p) => p.join(''));
    fc.assert(fc.property(part, (name) => (branchNameProblem(name) === null) === gitAccepts(name)), { numRuns: 150 });
  });

  it('a branch made from a task id is always one git accepts', () => {
    fc.assert(fc.property(fc.string({ maxLength: 30 }), (taskId) => gitAccepts(`buran/${branchSlug(taskId)}`)), { numRuns: 100 });
  });
});

describe('normalizeSurfacePath', () => {
  it('resolves . and .. inside the repository, refuses .. that leaves it', () => {
    expect(normalizeSurfacePath('src/../lib/x')).toEqual({ ok: true, path: 'lib/x' });
    expect(normalizeSurfacePath('/src/./a/')).toEqual({ ok: true, path: 'src/a' });
    expect(normalizeSurfacePath('..')).toEqual({ ok: false, escapes: true });
    expect(normalizeSurfacePath('src/../../x')).toEqual({ ok: false, escapes: true });
  });
});
