import { execa } from 'execa';

/** Runs git with no shell and no inherited stdin; returns stdout, or null when git fails. */
export async function git(cwd: string, args: string[], env: Record<string, string> = {}): Promise<string | null> {
  const result = await execa('git', args, { cwd, reject: false, stdin: 'ignore', env: { ...env, GIT_TERMINAL_PROMPT: '0' } });
  return result.exitCode === 0 ? String(result.stdout) : null;
}

/** True when the folder is inside a git work tree. */
export async function isGitWorkTree(cwd: string): Promise<boolean> {
  return (await git(cwd, ['rev-parse', '--is-inside-work-tree'])) === 'true';
}
