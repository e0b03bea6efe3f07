import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { execa } from 'execa';

/** Runs git with no shell and no inherited stdin; returns stdout, or null when git fails. */
export async function git(cwd: string, args: string[], env: Record<string, string> = {}): Promise<string | null> {
  const result = await execa('git', args, { cwd, reject: false, stdin: 'ignore', env: { ...env, GIT_TERMINAL_PROMPT: '0' } });
  return result.exitCode === 0 ? String(result.stdout) : null;
}

/** True when the folder is inside a git work tree (a `.git` on the way up, confirmed by git). */
export async function isGitWorkTree(cwd: string): Promise<boolean> {
  // Looking for .git first spares a git process (~20 ms here) for folders that are not repos.
  let dir = resolve(cwd);
  while (!existsSync(join(dir, '.git'))) {
    const up = dirname(dir);
    if (up === dir) return false;
    dir = up;
  }
  return (await git(cwd, ['rev-parse', '--is-inside-work-tree'])) === 'true';
}
