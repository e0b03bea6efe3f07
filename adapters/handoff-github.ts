import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { writeFileDurable } from '../persistence/durable-file.ts';
import { EFFECTS } from '../persistence/port.ts';
import { readHandoff } from './dispatch-records.ts';
import { handoffGitBranch, pushBranch, handoffTitle, HandoffFailed, type GitHandoffContext, type GitHandoffRecord } from './handoff-git-branch.ts';
import { redact } from './redact.ts';
import { QUICK_TIMEOUT_MS } from './git.ts';

type PullRequest = NonNullable<GitHandoffRecord['pr']>;

/**
 * The `github-pr` handoff: the git-branch handoff, then a push of the branch (never forced) and a
 * draft PR opened with `gh`, or the open PR for that branch updated. Idempotent: a recorded result
 * is returned as is, and after a crash the open PR for the branch is found and updated, never duplicated.
 * The allowlist is checked by the caller before this runs.
 */
export async function handoffGithubPr(ctx: GitHandoffContext): Promise<GitHandoffRecord> {
  const recorded = await readHandoff<GitHandoffRecord>(ctx.records, 'github-pr');
  if (recorded !== null) return recorded;

  const { repo, base_branch: base, intended_branch: branch } = ctx.plan;
  if (branch === base) {
    throw new HandoffFailed(`github-pr handoff: the intended branch "${branch}" is the base branch; a PR needs its own branch: set scm_target.intended_branch in the packet`);
  }
  const committed = await handoffGitBranch(ctx);
  await pushBranch(ctx, branch, 'github-pr');

  const bodyPath = join(ctx.handoffDir, 'pr-body.md');
  await writeFileDurable(bodyPath, redact(await prBody(ctx, committed), ctx.secrets));
  const title = redact(handoffTitle(ctx, 256), ctx.secrets);
  const open = await openPullRequest(ctx, branch);
  let pr: PullRequest;
  if (open !== null) {
    await gh(ctx, ['pr', 'edit', String(open.number), '--repo', repo, '--title', title, '--body-file', bodyPath]);
    pr = { ...open, action: 'updated' };
  } else {
    const out = await gh(ctx, ['pr', 'create', '--repo', repo, '--draft', '--base', base, '--head', branch, '--title', title, '--body-file', bodyPath]);
    pr = { ...createdPullRequest(ctx, out), action: 'created' };
  }
  const record: GitHandoffRecord = { ...committed, kind: 'github-pr', pushed: true, pr };
  await ctx.records.write(EFFECTS.handoff('github-pr'), record);
  return record;
}

/** Runs gh without a shell or stdin, prompts disabled; any failure is a HandoffFailed with gh's redacted stderr. */
async function gh(ctx: GitHandoffContext, args: string[]): Promise<string> {
  const result = await execa(ctx.gh, args, {
    cwd: ctx.workspace, reject: false, stdin: 'ignore', extendEnv: false, timeout: QUICK_TIMEOUT_MS, killSignal: 'SIGKILL',
    env: { ...ctx.env, GH_PROMPT_DISABLED: '1', GIT_TERMINAL_PROMPT: '0' },
  });
  const what = `\`gh ${args.slice(0, 2).join(' ')}\``;
  if (result.timedOut) {
    throw new HandoffFailed(`github-pr handoff: ${what} did not finish in ${QUICK_TIMEOUT_MS} ms and was killed. Fix: check the network and \`gh auth status\`, then start a new run`);
  }
  if (result.exitCode === undefined) {
    const code = (result as { code?: string }).code ?? 'start failed';
    throw new HandoffFailed(
      `github-pr handoff: could not run ${what} with "${ctx.gh}" (${code}): install the GitHub CLI or set handoff.gh to its path`,
    );
  }
  if (result.exitCode !== 0) {
    const stderr = redact(String(result.stderr ?? '').trim(), ctx.secrets) || 'no output';
    throw new HandoffFailed(
      `github-pr handoff: ${what} failed for ${ctx.plan.repo} (exit ${result.exitCode}): ${stderr}. `
      + 'Fix: check `gh auth status` (or GH_TOKEN in handoff.env) and access to that repository',
    );
  }
  return String(result.stdout ?? '');
}

async function openPullRequest(ctx: GitHandoffContext, branch: string): Promise<Omit<PullRequest, 'action'> | null> {
  const out = await gh(ctx, ['pr', 'list', '--repo', ctx.plan.repo, '--head', branch, '--state', 'open', '--json', 'number,url']);
  let list: unknown;
  try {
    list = JSON.parse(out);
  } catch {
    throw new HandoffFailed(`github-pr handoff: \`gh pr list\` did not print JSON: ${redact(out.slice(0, 200), ctx.secrets)}. Fix: update gh (it needs --json support)`);
  }
  if (!Array.isArray(list)) throw new HandoffFailed('github-pr handoff: `gh pr list` did not print a JSON array. Fix: update gh');
  const found = list.find((p): p is { number: number; url: string } => typeof p?.number === 'number' && typeof p?.url === 'string');
  return found === undefined ? null : { number: found.number, url: found.url };
}

function createdPullRequest(ctx: GitHandoffContext, stdout: string): Omit<PullRequest, 'action'> {
  const url = stdout.split('\n').map((l) => l.trim()).reverse().find((l) => /^https?:\/\/\S+\/pull\/\d+$/.test(l));
  if (url === undefined) {
    throw new HandoffFailed(
      `github-pr handoff: \`gh pr create\` printed no PR URL: ${redact(stdout.slice(0, 200), ctx.secrets) || 'no output'}. `
      + 'Fix: check the PR on GitHub; the next handoff attempt finds and updates it',
    );
  }
  return { number: Number(url.slice(url.lastIndexOf('/') + 1)), url };
}

async function prBody(ctx: GitHandoffContext, committed: GitHandoffRecord): Promise<string> {
  const summary = await readFile(committed.summary_path, 'utf8');
  return [
    summary.trimEnd(), '',
    '## Handoff', '',
    `- Branch: \`${committed.branch}\` at \`${committed.commit}\``,
    `- Files changed: ${committed.files_changed}`,
    `- Buran run: \`${ctx.runId}\`, epoch ${ctx.epoch}`, '',
  ].join('\n');
}
