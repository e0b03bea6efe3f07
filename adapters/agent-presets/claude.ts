import type { PresetOptions, PresetTask, StreamReading, StreamTask } from './types.ts';
import { artifactPaths, completionOf } from './final-text.ts';
import { claudeOutcome, scanClaude } from './claude-stream.ts';

/**
 * Claude Code headless: `claude -p PROMPT --output-format stream-json --verbose`
 * (stream-json needs --verbose in print mode). The caller must not leave stdin an open pipe
 * (the CLI waits on it); spawn with stdin ignored.
 *
 * Permissions: in print mode nobody can answer a prompt, so a tool call that would ask is
 * denied and the run carries on. The permission-modes docs (code.claude.com/docs/en/permission-modes)
 * list `default` as "Reads only" and `acceptEdits` as "Reads and file edits". Implementer and
 * fixer get `acceptEdits`: they must edit the workspace, while shell commands stay denied unless
 * the operator pre-approves them (e.g. extra_args `--allowedTools "Bash(npm test)"`). Buran runs
 * the verification itself, so the agent does not need a shell to be checked. We do not use
 * `--dangerously-skip-permissions` / `bypassPermissions`: the docs reserve it for sandboxes
 * and the workspace is the user's checkout. The reviewer gets `default`: it must not modify files.
 * Read-only git commands are pre-approved (`--allowedTools`) so the agent can inspect the diff.
 *
 * Budget: `--max-budget-usd` is documented in the CLI reference ("Maximum dollar amount to spend
 * on API calls before stopping (print mode only)"); a run that hits it ends with result
 * subtype `error_max_budget_usd`. It is checked between turns, so one turn can overshoot: the
 * run also sums the reported cost itself. The cap passed is the smaller of the worker's
 * `max_budget_usd` and what the run's `limits.max_cost_usd` leaves.
 *
 * Sessions: `--resume <session_id>` continues a session; Claude keys sessions by working
 * directory, so the fixer runs in the implementer's workspace path (it always does).
 */
// Pre-approved so every role can see the change under work; one comma-separated value, so the
// variadic flag cannot swallow the arguments after it. `:*` is the documented prefix form.
const READ_ONLY_GIT = ['Bash(git diff:*)', 'Bash(git status:*)', 'Bash(git log:*)', 'Bash(git show:*)'];

export function claudeArgs(options: PresetOptions, task: PresetTask, prompt: string): string[] {
  const args = ['-p', prompt, '--output-format', 'stream-json', '--verbose'];
  if (task.resume_session) args.push('--resume', task.resume_session);
  args.push('--permission-mode', task.role === 'reviewer' ? 'default' : 'acceptEdits');
  args.push('--allowedTools', READ_ONLY_GIT.join(','));
  if (options.max_turns !== undefined) args.push('--max-turns', String(options.max_turns));
  if (options.model !== undefined) args.push('--model', options.model);
  const budget = budgetCap(options.max_budget_usd, task.budget_usd);
  if (budget !== null) args.push('--max-budget-usd', String(budget));
  return [...args, ...(options.extra_args ?? [])];
}

/** The smaller of the worker's own cap and the run's remaining budget, or null for neither. */
export function budgetCap(own: number | undefined, remaining: number | null | undefined): number | null {
  const caps = [own, remaining ?? undefined].filter((v): v is number => typeof v === 'number');
  return caps.length === 0 ? null : Math.min(...caps);
}

/**
 * Reads Claude Code's stream-json output. The final `{"type":"result"}` message decides:
 * `subtype` and `is_error`, never the exit code (they have disagreed). Error results carry
 * `errors: string[]` instead of `result` text.
 */
export function claudeFromStream(output: string, task: StreamTask, filesChanged: string[], workspace?: string): StreamReading {
  const scan = scanClaude(output);
  const outcome = claudeOutcome(scan);
  const result = scan.result;
  if (result === null) return { completion: null, usage: { cost_usd: null, turns: null }, error_kind: 'no_result', outcome };
  const usage = {
    cost_usd: typeof result.total_cost_usd === 'number' ? result.total_cost_usd : null,
    turns: typeof result.num_turns === 'number' ? result.num_turns : null,
  };
  const subtype = typeof result.subtype === 'string' ? result.subtype : 'unknown';
  const text = typeof result.result === 'string' ? result.result : '';
  const errors = Array.isArray(result.errors) ? result.errors.filter((e): e is string => typeof e === 'string') : [];
  const failure = outcome.kind === 'success' ? null : { kind: subtype === 'success' ? 'is_error' : subtype, message: errors.join('; ') };
  const { completion, error_kind } = completionOf(task, text, failure, artifactPaths(filesChanged, workspace));
  return { completion, usage, error_kind, outcome };
}
