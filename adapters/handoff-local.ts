import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HandoffRecord, Plan } from '../machines/types.ts';
import { writeFileDurable } from '../persistence/durable-file.ts';
import { EFFECTS } from '../persistence/port.ts';
import type { RunRecords } from '../persistence/run-records.ts';
import { readHandoff } from './dispatch-records.ts';
import { isGitWorkTree, runQuick } from './git.ts';
import { redact } from './redact.ts';
import { hardenedGitEnv } from './git-hardening.ts';
import { buildChildEnv } from './worker-env.ts';
import type { HandoffStory } from './handoff-story.ts';
import { findingLines, fixHeading, moreFindings, SUMMARY_BOUNDS } from './handoff-story-text.ts';

/** What the local handoff needs from the run. */
export interface LocalHandoffContext {
  /** The run's effect records (the handoff's record). */
  records: RunRecords;
  /** This host's folder of the handoff's files (the patch, the summary). */
  handoffDir: string;
  workspace: string;
  plan: Plan;
  runId: string;
  epoch: number;
  secrets: readonly string[];
  /** What the run did: the summary (and a git handoff's commit body) tell it. */
  story: HandoffStory;
}

/**
 * The `local` handoff: writes the workspace's change as a patch (untracked files included,
 * without touching the user's index) and a summary, and records the target. Idempotent.
 */
export async function handoffLocal(ctx: LocalHandoffContext): Promise<HandoffRecord> {
  const recorded = await readHandoff<HandoffRecord>(ctx.records, 'local');
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
  await ctx.records.write(EFFECTS.handoff('local'), record);
  return record;
}

/**
 * The three git steps of the diff in one fixed script (nothing interpolated: no input reaches
 * the shell): one process for this driver to start instead of three. `read-tree` fails only in a
 * repo with no commit yet, which is then diffed against nothing. The raw part of the diff
 * (NUL-separated, so any file name is exact) names the files.
 */
const DIFF_SCRIPT = 'if git read-tree HEAD 2>/dev/null; then base=HEAD; else base=; fi; git add -A || exit 1; exec git diff --cached --binary --no-renames --no-ext-diff --no-textconv --patch-with-raw -z $base';

async function workspaceDiff(workspace: string): Promise<{ patch: string; files: string[] }> {
  // A private index: `git add -A` there sees untracked files and leaves the user's index alone.
  const scratch = await mkdtemp(join(tmpdir(), 'buran-index-'));
  try {
    // The allowlist of a worker's environment (not the driver's whole one), and no program the
    // repository's config names (hooks, filters, fsmonitor): hardenedGitEnv, passed as env, so
    // nothing reaches the script's text.
    const base = buildChildEnv(process.env, [], {});
    const env = { ...base, ...(await hardenedGitEnv(base, workspace)), GIT_INDEX_FILE: join(scratch, 'index'), GIT_TERMINAL_PROMPT: '0' };
    const result = await runQuick('/bin/sh', ['-c', DIFF_SCRIPT], workspace, env);
    return splitRawAndPatch(result.code === 0 ? result.stdout : '');
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** `:modes shas status\0path\0` records, an empty field, then the patch. */
function splitRawAndPatch(out: string): { patch: string; files: string[] } {
  const fields = out.split('\0');
  const files: string[] = [];
  let i = 0;
  while (i + 1 < fields.length && fields[i]!.startsWith(':')) {
    files.push(fields[i + 1]!);
    i += 2;
  }
  const patch = fields.slice(i + (fields[i] === '' ? 1 : 0)).join('\0');
  return { patch: patch ? `${patch}\n` : '', files };
}

function summary(ctx: LocalHandoffContext, files: string[]): string {
  const { story } = ctx;
  const b = SUMMARY_BOUNDS;
  const indent = (lines: string[]) => lines.map((l) => `    ${l}`);
  const review = story.review === null ? ['No reviewer is configured for this run.'] : [
    `${story.review.task_id}: PASS. ${paragraph(story.review.summary, b.width) || '(no summary)'}`,
    ...(story.review.findings.length > 0 ? ['', ...story.review.findings.slice(0, b.findings).flatMap((f) => indent(findingLines(f, b)))] : []),
  ];
  const fixes = story.fixes.length === 0
    ? ['No gate failed: the first implementation passed verification and review.']
    : story.fixes.flatMap((fix) => [
      `### ${fixHeading(fix)}`, '',
      ...(fix.findings.length === 0 ? ['(no findings were given)'] : fix.findings.slice(0, b.findings).flatMap((f) => [...indent(findingLines(f, b)), ''])),
      ...(moreFindings(fix.findings, b) ? [moreFindings(fix.findings, b)!, ''] : []),
    ]);
  return [
    `# ${ctx.plan.task_id}: ready for manual review`,
    '',
    `Run \`${ctx.runId}\`, epoch ${ctx.epoch}. Target: ${ctx.plan.repo} \`${ctx.plan.intended_branch}\` from \`${ctx.plan.base_branch}\`.`,
    '',
    `## Goal`, '', ctx.plan.goal, '',
    `## Acceptance criteria`, '', ...ctx.plan.acceptance_criteria.map((c) => `- ${c}`), '',
    `## Verification passed (epoch ${story.passed.epoch})`, '',
    ...(story.passed.commands.length
      ? story.passed.commands.map((c) => `- \`${c.command.replace(/`/g, "'")}\`${c.exit_code === null ? '' : ` (exit ${c.exit_code})`}`)
      : ['- (no record of the commands)']), '',
    `## Review`, '', ...review, '',
    `## Work`, '',
    ...(story.work.length ? story.work.map((w) => `- ${w.task_id} (${w.role}, epoch ${w.epoch}): ${paragraph(w.summary, b.width) || '(no summary)'}`) : ['- (none recorded)']), '',
    `## Fix history`, '', ...fixes, ...(story.fixes.length === 0 ? [''] : []),
    `## Files changed (${files.length})`, '', ...(files.length ? files.map((f) => `- ${f}`) : ['- (none)']), '',
    ...(story.cost_usd > 0 ? [`Cost reported by the run's agents: $${story.cost_usd.toFixed(4)}.`, ''] : []),
  ].join('\n');
}

/** A worker's summary in a list item: at most `width` characters, its later lines indented under the item. */
function paragraph(text: string, width: number): string {
  const trimmed = text.trim();
  const bounded = trimmed.length <= width ? trimmed : `${trimmed.slice(0, width - 1).trimEnd()}…`;
  return bounded.split('\n').join('\n  ');
}
