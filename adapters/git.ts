import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { execFile } from 'node:child_process';

/**
 * Runs a short-lived helper program (git; never a worker) with no shell and no stdin. Node's own
 * execFile, not execa: these run many times per run, and execa's per-process set-up (signal
 * handlers, stream plumbing) costs more than the process itself here. Never throws.
 */
export function runQuick(
  file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = QUICK_TIMEOUT_MS,
): Promise<{ code: number | null; stdout: string; stderr: string; error: string | null }> {
  return new Promise((resolvePromise) => {
    const options = { cwd, env, maxBuffer: 512 * 1024 * 1024, encoding: 'utf8' as const, timeout: timeoutMs, killSignal: 'SIGKILL' as const };
    const child = execFile(file, args, options, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : null;
      const killed = error !== null && (error as { killed?: boolean }).killed === true;
      const reason = killed ? `${file} ${args[0] ?? ''} did not finish in ${timeoutMs} ms and was killed` : error?.message ?? null;
      resolvePromise({ code, stdout, stderr, error: error !== null && code === null ? reason : null });
    });
    child.stdin?.end();
  });
}

/** A git process (a push over a dead network, say) is never waited on for longer than this. */
export const QUICK_TIMEOUT_MS = 10 * 60_000;

const stripNewline = (text: string) => (text.endsWith('\n') ? text.slice(0, -1) : text);

/** Runs git with no shell and no stdin in this process's environment plus `env`; stdout (final newline removed), or null when git fails. */
export async function git(cwd: string, args: string[], env: Record<string, string> = {}): Promise<string | null> {
  const result = await runQuick('git', args, cwd, { ...process.env, ...env, GIT_TERMINAL_PROMPT: '0' });
  return result.code === 0 ? stripNewline(result.stdout) : null;
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
  // A `.git` right here is a checkout's (or a worktree's) top folder: no process needed.
  if (dir === resolve(cwd)) return true;
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
  const result = await runQuick('git', args, cwd, { ...clean, ...extra, GIT_TERMINAL_PROMPT: '0' });
  return { ok: result.code === 0, stdout: stripNewline(result.stdout), stderr: result.error ?? result.stderr.trim() };
}
