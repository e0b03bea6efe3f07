import type { Finding } from '../machines/types.ts';
import type { HandoffStory } from './handoff-story.ts';

/** How much of the story a text may carry: a summary shows excerpts, a commit body first lines. */
export interface TextBounds {
  /** Findings shown per failed gate; the rest are counted. */
  findings: number;
  /** Lines of a finding's message shown (1: its first line only). */
  lines: number;
  /** Characters of one line or summary. */
  width: number;
  /** Show a finding's absolute path (a log in the registry): useful in the summary, noise in git history. */
  localPaths: boolean;
}

/** summary.md: generous, but a runaway test log still does not fill it. */
export const SUMMARY_BOUNDS: TextBounds = { findings: 10, lines: 20, width: 2000, localPaths: true };
/** The commit body: a few first lines, so `git log` stays readable. */
export const COMMIT_BOUNDS: TextBounds = { findings: 3, lines: 1, width: 200, localPaths: false };

const cut = (text: string, width: number) => (text.length <= width ? text : `${text.slice(0, width - 1).trimEnd()}…`);

/** "node --test (exit 0)" for each command that passed. */
export function passedCommands(story: HandoffStory): string[] {
  return story.passed.commands.map((c) => `${c.command}${c.exit_code === null ? '' : ` (exit ${c.exit_code})`}`);
}

// Terminal colours some test runners print even into a file: noise in markdown and in git.
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
// Where a test log says what failed: the excerpt starts there rather than at the build noise above it.
const FAILURE = /\b(fail(ed|ure)?|error|not ok|expected|assert\w*)\b|✘|✖/i;

/**
 * A finding as lines: "[error] path: first line", then up to `lines - 1` more, then how many were
 * left out. The more lines start a little before the first one that looks like a failure.
 */
export function findingLines(finding: Finding, bounds: TextBounds): string[] {
  const lines = finding.message.replace(ANSI, '').trim().split('\n');
  const where = finding.path && (bounds.localPaths || !finding.path.startsWith('/')) ? `${finding.path}: ` : '';
  const head = cut(`[${finding.severity}] ${where}${lines[0]}`, bounds.width);
  const rest = lines.slice(1);
  const room = bounds.lines - 1;
  if (room <= 0) return [head];
  if (rest.length <= room) return [head, ...rest.map((l) => cut(l, bounds.width))];
  const hit = rest.findIndex((l) => FAILURE.test(l));
  const start = hit < 0 ? rest.length - room : Math.min(Math.max(0, hit - 2), rest.length - room);
  const shown = rest.slice(start, start + room).map((l) => cut(l, bounds.width));
  const after = rest.length - start - shown.length;
  return [head, ...(start > 0 ? [`… ${start} line(s) before`] : []), ...shown, ...(after > 0 ? [`… ${after} more line(s)`] : [])];
}

/** "Epoch 1: verification failed" / "Epoch 2: review failed (t3-reviewer)", and who fixed it. */
export function fixHeading(fix: HandoffStory['fixes'][number]): string {
  const gate = fix.gate === 'verification' ? 'verification failed' : `review failed (${fix.task_id})`;
  return `Epoch ${fix.epoch}: ${gate}${fix.fixed_by ? `; fixed by ${fix.fixed_by}` : ''}`;
}

/** "… and 4 more finding(s)" when the bound left some out. */
export function moreFindings(findings: Finding[], bounds: TextBounds): string | null {
  return findings.length > bounds.findings ? `… and ${findings.length - bounds.findings} more finding(s)` : null;
}

/** One line of a summary, bounded. */
export const oneLine = (text: string, width: number) => cut(text.trim().split('\n')[0] ?? '', width);
