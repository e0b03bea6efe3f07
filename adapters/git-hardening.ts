// The handoff runs git in a workspace a worker has written to, and the worker may also have written
// the repository's config (.git/config is as writable to it as the work tree). Every setting there
// that makes git run a program is turned off for the handoff's git steps: hooks, the fsmonitor
// hook, clean/smudge/process filters, external diff and textconv (diff flags), and for a push the
// credential helpers and ssh command the repository itself sets.
import { gitIn, runQuick, type GitOutcome } from './git.ts';
import { buildChildEnv } from './worker-env.ts';

/** Settings that hold for every git step of the handoff, whatever the repository's config says. */
const ALWAYS: Array<[string, string]> = [
  ['core.hooksPath', '/dev/null'],
  ['core.fsmonitor', 'false'],
  ['diff.external', ''],
];

/** Flags for `git diff`-like commands: no external diff program, no textconv filter. */
export const PLAIN_DIFF_FLAGS = ['--no-ext-diff', '--no-textconv'];

/**
 * Environment variables (GIT_CONFIG_COUNT / KEY_n / VALUE_n, which git reads like `-c`) that turn
 * off every program the repository's config could make git run, for the git steps in `cwd`. The
 * filter drivers are found by name first (`git config --get-regexp`, which runs nothing): each is
 * emptied and made optional, so a planted `filter.x.clean` never runs inside `git add -A`.
 */
export async function hardenedGitEnv(env: NodeJS.ProcessEnv, cwd: string, options: { push?: boolean } = {}): Promise<Record<string, string>> {
  const pairs: Array<[string, string]> = [...ALWAYS];
  const config = await configEntries(env, cwd, '^filter\\.');
  const drivers = new Set<string>();
  for (const { key } of config) {
    const match = /^filter\.(.+)\.[^.]+$/.exec(key);
    if (match) drivers.add(match[1]!);
  }
  for (const driver of drivers) {
    for (const setting of ['clean', 'smudge', 'process']) pairs.push([`filter.${driver}.${setting}`, '']);
    pairs.push([`filter.${driver}.required`, 'false']);
  }
  if (options.push) pairs.push(...(await pushSettings(env, cwd)));
  return configEnv(pairs);
}

/** Settings as the environment variables git reads like `-c` (GIT_CONFIG_COUNT / KEY_n / VALUE_n). */
function configEnv(pairs: ReadonlyArray<readonly [string, string]>): Record<string, string> {
  const out: Record<string, string> = { GIT_CONFIG_COUNT: String(pairs.length) };
  pairs.forEach(([key, value], i) => {
    out[`GIT_CONFIG_KEY_${i}`] = key;
    out[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return out;
}

/**
 * A push keeps the credential helpers and ssh command of the user's own (global and system)
 * config, and drops what the repository's config adds: an empty `credential…helper` resets that
 * list, then the user's helpers are listed again; GIT_SSH_COMMAND outranks core.sshCommand.
 */
async function pushSettings(env: NodeJS.ProcessEnv, cwd: string): Promise<Array<[string, string]>> {
  const pairs: Array<[string, string]> = [];
  const credential = await configEntries(env, cwd, '^credential\\..*helper$', true);
  const trusted = (scope: string | undefined) => scope === 'global' || scope === 'system';
  for (const key of new Set(credential.map((c) => c.key))) {
    pairs.push([key, '']);
    for (const entry of credential.filter((c) => c.key === key && trusted(c.scope))) pairs.push([key, entry.value]);
  }
  const ssh = (await configEntries(env, cwd, '^core\\.sshcommand$', true)).filter((c) => trusted(c.scope)).at(-1)?.value;
  pairs.push(['core.sshCommand', env.GIT_SSH_COMMAND ?? ssh ?? 'ssh']);
  return pairs;
}

async function configEntries(env: NodeJS.ProcessEnv, cwd: string, pattern: string, withScope = false): Promise<Array<{ key: string; value: string; scope?: string }>> {
  const args = ['config', '-z', ...(withScope ? ['--show-scope'] : []), '--get-regexp', pattern];
  const result = await runQuick('git', args, cwd, { ...env, GIT_TERMINAL_PROMPT: '0' });
  if (result.code !== 0) return [];
  const entries: Array<{ key: string; value: string; scope?: string }> = [];
  const fields = result.stdout.split('\0').filter((f) => f !== '');
  for (let i = 0; i < fields.length; i++) {
    // With --show-scope each entry is "scope\0key\nvalue\0"; without, "key\nvalue\0".
    const scope = withScope ? fields[i++] : undefined;
    const record = fields[i] ?? '';
    const newline = record.indexOf('\n');
    entries.push({ key: newline === -1 ? record : record.slice(0, newline), value: newline === -1 ? '' : record.slice(newline + 1), ...(scope ? { scope } : {}) });
  }
  return entries;
}

/**
 * Git for a sequence of steps in one workspace with nothing else of ours running in between (a
 * scan, a diff): the repository's filter drivers are looked up once, at the first step, instead of
 * once per step.
 */
export function hardenedGitSteps(env: NodeJS.ProcessEnv, cwd: string): (args: string[], extra?: Record<string, string>) => Promise<GitOutcome> {
  const base = buildChildEnv(env, [], {});
  let hardening: Promise<Record<string, string>> | null = null;
  return async (args, extra = {}) => {
    hardening ??= hardenedGitEnv(base, cwd);
    return gitIn(base, cwd, args, { ...(await hardening), ...extra });
  };
}

/**
 * Runs a git command that reads no file's content (rev-parse, symbolic-ref, rev-list, worktree
 * remove --force --force, worktree prune): no filter or diff program can come into play, so the
 * repository's filter drivers are not looked up (one git process fewer); hooks and the fsmonitor
 * stay off, with a worker's short environment.
 */
export async function metadataGitIn(env: NodeJS.ProcessEnv, cwd: string, args: string[]): Promise<GitOutcome> {
  return gitIn(buildChildEnv(env, [], {}), cwd, args, configEnv(ALWAYS));
}

/**
 * Runs git in a workspace workers have written to, as the handoff does: with the short environment
 * a worker gets (never the driver's whole one) and every program the repository's config could
 * make git run turned off. For the steps around the handoff too: the pre-commit secret scan, the
 * files an agent changed, a run's worktree (`worktree add` runs a post-checkout hook and filters).
 */
export async function hardenedGitIn(env: NodeJS.ProcessEnv, cwd: string, args: string[], extra: Record<string, string> = {}): Promise<GitOutcome> {
  const base = buildChildEnv(env, [], {});
  return gitIn(base, cwd, args, { ...(await hardenedGitEnv(base, cwd)), ...extra });
}
