import type { Finding } from '../../machines/types.ts';
import type { PresetTask } from './types.ts';

/** Largest prompt in UTF-8 bytes: it travels as one argv entry, which Linux caps at 128 KiB. */
export const PROMPT_MAX_BYTES = 100_000;
// Room kept for the "N findings dropped" line.
const DROP_NOTE_BYTES = 200;
const SECTION_RESERVE_BYTES = 1000;
const FINDING_MAX_CHARS = 4000;

const HEADINGS = {
  implementer: 'Buran task: implement an approved change',
  fixer: 'Buran task: fix the findings of a failed check',
  reviewer: 'Buran task: review a change (read-only)',
} as const;

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** The agent's prompt for this task, at most PROMPT_MAX_BYTES. */
export function buildPrompt(task: PresetTask): string {
  const head = header(task);
  const foot = footer(task);
  const budget = PROMPT_MAX_BYTES - bytes(head) - bytes(foot);
  // The plan leaves room for the findings' heading and the dropped-findings note. A fixer that
  // continues the implementer's session has the plan in its context already: the findings are its prompt.
  const plan = task.resume_session ? CONTINUED : planSections(task);
  let body = truncateBytes(plan, budget - SECTION_RESERVE_BYTES);
  if (task.role === 'fixer') body += findingsSection(task.findings, budget - bytes(body));
  return `${head}${body}${foot}`;
}

const CONTINUED = 'You are continuing your earlier session on this work item, in the same working directory: the goal, criteria and instructions are as before.\n\n';

function header(task: PresetTask): string {
  return `# ${HEADINGS[task.role]}\n\n`
    + `Work item ${task.plan.task_id || '(unnamed)'}; Buran task ${task.task_id}, attempt ${task.attempt}, epoch ${task.epoch}. `
    + `You run unattended in the repository's working directory: nobody will answer questions.\n\n`;
}

function planSections(task: PresetTask): string {
  const p = task.plan;
  const parts = [section('Goal', p.goal), list('Acceptance criteria', p.acceptance_criteria), list('Non-goals', p.non_goals)];
  if (task.role === 'implementer') parts.push(section('Implementation instructions', p.instructions));
  else parts.push(section('Original implementation instructions (context)', p.instructions));
  if (task.role === 'reviewer') parts.push(list('Review criteria', p.review_criteria));
  return parts.join('');
}

function section(title: string, text: string): string {
  return text.trim() === '' ? '' : `## ${title}\n\n${text.trim()}\n\n`;
}

function list(title: string, items: readonly string[]): string {
  return items.length === 0 ? '' : `## ${title}\n\n${items.map((i) => `- ${i}`).join('\n')}\n\n`;
}

function findingsSection(findings: readonly Finding[], budget: number): string {
  let text = `## Findings to fix\n\nThe last check failed with these findings; fix every one of them:\n\n`;
  if (findings.length === 0) text = `## Findings to fix\n\nThe last check failed without itemized findings; see the task file for its details.\n\n`;
  let used = bytes(text);
  let kept = 0;
  for (const f of findings) {
    const message = f.message.length > FINDING_MAX_CHARS ? `${f.message.slice(0, FINDING_MAX_CHARS)}…` : f.message;
    const line = `- [${f.severity}]${f.path ? ` ${f.path}:` : ''} ${message.replace(/\s*\n\s*/g, ' ')}\n`;
    if (used + bytes(line) > budget - DROP_NOTE_BYTES) break;
    text += line;
    used += bytes(line);
    kept++;
  }
  const dropped = findings.length - kept;
  if (dropped > 0) text += `- … ${dropped} more finding(s) dropped to keep this prompt under ${PROMPT_MAX_BYTES} bytes; the task file lists them all.\n`;
  return `${text}\n`;
}

function footer(task: PresetTask): string {
  const p = task.plan;
  const commands = p.verification_commands.length === 0 ? '(none configured)' : p.verification_commands.map((c) => `- \`${c}\``).join('\n');
  let text = `## Verification\n\nAfter you finish, Buran runs these commands in the working directory; they must pass:\n\n${commands}\n\n`;
  if (p.verification_expectations.trim() !== '') text += `Expected: ${p.verification_expectations.trim()}\n\n`;
  text += `## Task file\n\nThe full task (packet, role, attempt${task.role === 'implementer' ? '' : ', findings'}) is the JSON file \`${task.taskFile}\` `
    + `(also in the BURAN_TASK_FILE environment variable). Read it if you need more than this prompt.\n\n`;
  return text + (task.role === 'reviewer' ? reviewerContract() : workerContract());
}

function workerContract(): string {
  return `## Rules and output\n\n`
    + `- Change only what the task needs. Leave your changes in the working tree: do not commit, switch branches or push.\n`
    + `- Buran collects the changed files itself; do not write any completion file.\n`
    + `- End with a short summary of what you changed and why.\n`
    + `- If the task cannot be done safely (the instructions are contradictory, need secrets or access you do not have, `
    + `or would break a non-goal), change nothing more and make the very last line of your final message exactly this JSON:\n`
    + `  {"status":"blocked","reason":"<one sentence: why, and what a human must decide>"}\n`;
}

function reviewerContract(): string {
  return `## Rules and output\n\n`
    + `- Do not modify, create or delete any file; do not commit. Inspect the change with \`git status\` and \`git diff\`, and read the code.\n`
    + `- Judge the change against the goal, the acceptance criteria, the non-goals and the review criteria above.\n`
    + `- End your final message with exactly one line of JSON, nothing after it:\n`
    + `  {"verdict":"PASS"|"FAIL"|"BLOCKED","findings":[{"severity":"error","message":"…","path":"relative/path"}]}\n`
    + `- PASS: the change meets every criterion (findings may be empty). FAIL: it does not; list each problem as a finding `
    + `a fixer can act on. BLOCKED: a human must decide (say why in a finding).\n`;
}

function truncateBytes(text: string, max: number): string {
  if (bytes(text) <= max) return text;
  const note = `\n\n[… truncated to keep this prompt under ${PROMPT_MAX_BYTES} bytes; the task file has the full text]\n\n`;
  const cut = Buffer.from(text, 'utf8').subarray(0, Math.max(0, max - bytes(note))).toString('utf8');
  return cut.replace(/\uFFFD+$/, '') + note;
}
