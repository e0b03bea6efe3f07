import type { PresetOptions, PresetTask, StreamReading, StreamTask } from './types.ts';
import { artifactPaths, completionOf, jsonLines } from './final-text.ts';
import { codexErrorText, codexOutcome, scanCodex } from './codex-stream.ts';

/**
 * Codex headless: `codex exec --json [flags] PROMPT` (openai/codex docs/exec.md). In exec mode
 * Codex never asks for approvals and "by default it runs in read-only mode"; the docs point to
 * `--full-auto` (an alias for `--sandbox workspace-write` plus an approval policy exec does not
 * use) to allow edits. We pass the explicit `--sandbox workspace-write` for implementer and fixer
 * (writes inside the workspace, no network), and `--sandbox read-only` for the reviewer, which
 * must not modify files. `danger-full-access` is never chosen by the preset.
 *
 * Codex has no turn or budget flag: `max_turns` and `max_budget_usd` are not enforced at the
 * CLI (the caller's timeout bounds the run). It reports tokens, not cost, so `cost_usd` is null.
 * Codex appends a piped stdin to the prompt, and refuses to run outside a git repository unless
 * `--skip-git-repo-check` is given (operators may add it via extra_args): spawn with stdin ignored.
 *
 * A fixer continues the implementer's thread with `codex exec [flags] resume <thread_id> PROMPT`
 * (docs/exec.md "Resuming non-interactive sessions"; the exec flags go before the subcommand).
 */
export function codexArgs(options: PresetOptions, task: PresetTask, prompt: string): string[] {
  const args = ['exec', '--json'];
  if (options.model !== undefined) args.push('--model', options.model);
  args.push('--sandbox', task.role === 'reviewer' ? 'read-only' : 'workspace-write');
  const resume = task.resume_session ? ['resume', task.resume_session] : [];
  return [...args, ...(options.extra_args ?? []), ...resume, prompt];
}

/**
 * Reads `codex exec --json` JSONL: the last terminal event (`turn.completed`, `turn.failed`,
 * a fatal `error`) decides, never the exit code (they have disagreed). The summary is the
 * last `agent_message`; changed files are the completed `file_change` items plus `filesChanged`.
 */
export function codexFromStream(output: string, task: StreamTask, filesChanged: string[], workspace?: string, now = Date.now()): StreamReading {
  const noise: string[] = [];
  const scan = scanCodex(jsonLines(output, (line) => noise.push(line)), noise.join('\n'), filesChanged);
  const outcome = codexOutcome(scan, now);
  const usage = { cost_usd: null, turns: scan.turns };
  const terminal = scan.terminal;
  if (terminal === null) return { completion: null, usage, error_kind: 'no_terminal_event', outcome };
  const failure = terminal.type === 'turn.completed' ? null : { kind: String(terminal.type), message: codexErrorText(terminal) };
  const { completion, error_kind } = completionOf(task, scan.last_message, failure, artifactPaths(scan.changed, workspace));
  return { completion, usage, error_kind, outcome };
}
