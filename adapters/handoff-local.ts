import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HandoffRecord, Plan } from '../machines/types.ts';
import { writeFileDurable, writeJsonDurable } from '../persistence/durable-file.ts';
import { git, isGitWorkTree } from './git.ts';
import { redact } from './redact.ts';
import { readOwnJson } from './json-file.ts';

/** What the local handoff needs from the run. */
export interface LocalHandoffContext {
  handoffDir: string;
  workspace: string;
  plan: Plan;
  runId: string;
  epoch: number;
  secrets: readonly string[];
  evidence: string;
}

/**
 * The `local` handoff: writes the workspace's change as a patch (untracked files included,
 * without touching the user's index) and a summary, and records the target. Idempotent.
 */
export async function handoffLocal(ctx: LocalHandoffContext): Promise<HandoffRecord> {
  const recordPath = join(ctx.handoffDir, 'handoff.json');
  const recorded = await readOwnJson<HandoffRecord>(recordPath);
  if (recorded !== null) return recorded;

  await mkdir(ctx.handoffDir, { recursive: true });
  const patchPath = join(ctx.handoffDir, 'patch.diff');
  const summaryPath = join(ctx.handoffDir, 'summary.md');
  const diff = (await isGitWorkTree(ctx.workspace)) ? await workspaceDiff(ctx.workspace) : null;
  if (diff !== null) await writeFileDurable(patchPath, redact(diff.patch, ctx.secrets));
  const target = { repo: ctx.plan.repo, base_branch: ctx.plan.base_branch, intended_branch: ctx.plan.intended_branch };
  await writeFileDurable(summaryPath, redact(summary(ctx, diff?.files ?? []), ctx.secrets));
  const record: HandoffRecord = {
    kind: 'local', patch_path: diff === null ? null : patchPath, summary_path: summaryPath, files_changed: diff?.files.length ?? 0, target,
  };
  await writeJsonDurable(recordPath, record);
  return record;
}

async function workspaceDiff(workspace: string): Promise<{ patch: string; files: string[] }> {
  // A private index: `git add -A` there sees untracked files and leaves the user's index alone.
  const scratch = await mkdtemp(join(tmpdir(), 'buran-index-'));
  try {
    const env = { GIT_INDEX_FILE: join(scratch, 'index') };
    const hasHead = (await git(workspace, ['rev-parse', '--verify', 'HEAD'])) !== null;
    if (hasHead) await git(workspace, ['read-tree', 'HEAD'], env);
    await git(workspace, ['add', '-A'], env);
    const base = hasHead ? ['HEAD'] : [];
    const patch = (await git(workspace, ['diff', '--cached', '--binary', ...base], env)) ?? '';
    const names = (await git(workspace, ['diff', '--cached', '--name-only', ...base], env)) ?? '';
    return { patch: patch === '' ? '' : `${patch}\n`, files: names.split('\n').filter(Boolean) };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function summary(ctx: LocalHandoffContext, files: string[]): string {
  return [
    `# ${ctx.plan.task_id}: ready for manual review`,
    '',
    `Run \`${ctx.runId}\`, epoch ${ctx.epoch}. Target: ${ctx.plan.repo} \`${ctx.plan.intended_branch}\` from \`${ctx.plan.base_branch}\`.`,
    '',
    `## Goal`, '', ctx.plan.goal, '',
    `## Acceptance criteria`, '', ...ctx.plan.acceptance_criteria.map((c) => `- ${c}`), '',
    `## Evidence`, '', ctx.evidence, '',
    `## Files changed (${files.length})`, '', ...(files.length ? files.map((f) => `- ${f}`) : ['- (none)']), '',
  ].join('\n');
}
