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

/** What one git run printed and whether it exited 0; `stderr` carries git's own reason. */
export interface GitOutcome {
  ok: boolean;
  stdout: string;
  stderr: string;
}

// Variables that would point git at another repository, index or work tree than the one in `cwd`.
const REPO_LOCATING = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_NAMESPACE', 'GIT_PREFIX'];

/**
 * Runs git with no shell and no stdin in exactly `env` (nothing inherited from this process,
 * nothing that relocates the repository) plus `extra`; never throws, a spawn failure is `ok: false`.
 */
export async function gitIn(env: NodeJS.ProcessEnv, cwd: string, args: string[], extra: Record<string, string> = {}): Promise<GitOutcome> {
  const clean: NodeJS.ProcessEnv = { ...env };
  for (const name of REPO_LOCATING) delete clean[name];
  const result = await execa('git', args, {
    cwd, reject: false, stdin: 'ignore', extendEnv: false, env: { ...clean, ...extra, GIT_TERMINAL_PROMPT: '0' },
  });
  const stderr = String(result.stderr ?? '').trim();
  return { ok: result.exitCode === 0, stdout: String(result.stdout ?? ''), stderr: result.exitCode === undefined ? (result.message ?? 'git could not start') : stderr };
}
