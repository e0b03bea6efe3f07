import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScanReport, SecretFinding } from '../machines/workspace-rules.ts';
import { isGitWorkTree } from './git.ts';
import { hardenedGitSteps } from './git-hardening.ts';
import { findSecrets } from './redact.ts';

/**
 * Scans the workspace's change (what a git handoff would commit: tracked and untracked files,
 * against HEAD) for secrets, line by line, before anything is committed or pushed. The user's
 * index is not touched: the change is staged in a private index. Binary files are not read.
 */
export async function scanChange(workspace: string, secrets: readonly string[], env: NodeJS.ProcessEnv): Promise<ScanReport> {
  if (!(await isGitWorkTree(workspace))) return { findings: [] };
  const scratch = await mkdtemp(join(tmpdir(), 'buran-scan-'));
  try {
    const index = { GIT_INDEX_FILE: join(scratch, 'index') };
    const git = hardenedGitSteps(env, workspace);
    const head = await git(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
    if (head.ok) await must(git, workspace, ['read-tree', 'HEAD'], index);
    await must(git, workspace, ['add', '-A'], index);
    const diff = await must(git, workspace, [
      '-c', 'core.quotePath=false', 'diff', '--cached', '--no-color', '--no-ext-diff', '--no-textconv', '--no-renames', '-U0', '--diff-filter=ACMRT',
      ...(head.ok ? ['HEAD'] : []),
    ], index);
    return { findings: findingsIn(diff, secrets) };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function must(git: ReturnType<typeof hardenedGitSteps>, cwd: string, args: string[], extra: Record<string, string>): Promise<string> {
  const outcome = await git(args, extra);
  if (!outcome.ok) throw new Error(`git ${args.find((a) => !a.startsWith('-') && !a.includes('=')) ?? ''} failed in ${cwd}: ${outcome.stderr || 'no output'}`);
  return outcome.stdout;
}

/**
 * The added lines of a unified diff (-U0) that hold a secret, by file and new line number. Hunk
 * headers say how many lines follow, so a content line that starts like a header is not one.
 */
export function findingsIn(diff: string, secrets: readonly string[]): SecretFinding[] {
  const findings: SecretFinding[] = [];
  let path = '';
  let line = 0;
  let removed = 0;
  let added = 0;
  for (const text of diff.split('\n')) {
    if (removed > 0 && text.startsWith('-')) {
      removed--;
      continue;
    }
    if (added > 0 && text.startsWith('+')) {
      added--;
      // One finding per line: the first thing that gives it away.
      const [what] = findSecrets(text.slice(1), secrets);
      if (what !== undefined) findings.push({ path, line, what });
      line++;
      continue;
    }
    if (text.startsWith('+++ ')) {
      path = text.slice(4).replace(/^b\//, '');
      continue;
    }
    const hunk = /^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(text);
    if (hunk) {
      removed = hunk[1] === undefined ? 1 : Number(hunk[1]);
      line = Number(hunk[2]);
      added = hunk[3] === undefined ? 1 : Number(hunk[3]);
    }
  }
  return findings;
}
