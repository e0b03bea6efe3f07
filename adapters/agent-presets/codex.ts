import type { PresetOptions, PresetTask, StreamReading, StreamTask } from './types.ts';
import { artifactPaths, completionOf, isRecord, jsonLines } from './final-text.ts';

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
 */
export function codexArgs(options: PresetOptions, task: PresetTask, prompt: string): string[] {
  const args = ['exec', '--json'];
  if (options.model !== undefined) args.push('--model', options.model);
  args.push('--sandbox', task.role === 'reviewer' ? 'read-only' : 'workspace-write');
  return [...args, ...(options.extra_args ?? []), prompt];
}

const TERMINAL = new Set(['turn.completed', 'turn.failed', 'error']);

/**
 * Reads `codex exec --json` JSONL: the last terminal event (`turn.completed`, `turn.failed`,
 * top-level `error`) decides, never the exit code (they have disagreed). The summary is the
 * last `agent_message`; changed files are the completed `file_change` items plus `filesChanged`.
 */
export function codexFromStream(output: string, task: StreamTask, filesChanged: string[], workspace?: string): StreamReading {
  let lastMessage = '';
  let terminal: Record<string, unknown> | null = null;
  let turns = 0;
  const changed = [...filesChanged];
  for (const event of jsonLines(output)) {
    const type = event.type;
    if (typeof type !== 'string') continue;
    if (TERMINAL.has(type)) terminal = event;
    if (type === 'turn.completed') turns++;
    if (type !== 'item.completed' || !isRecord(event.item)) continue;
    const item = event.item;
    if (item.type === 'agent_message' && typeof item.text === 'string') lastMessage = item.text;
    if (item.type === 'file_change' && item.status !== 'failed' && Array.isArray(item.changes)) {
      for (const change of item.changes) if (isRecord(change) && typeof change.path === 'string') changed.push(change.path);
    }
  }
  const usage = { cost_usd: null, turns };
  if (terminal === null) return { completion: null, usage, error_kind: 'no_terminal_event' };
  const failure = terminal.type === 'turn.completed' ? null : { kind: String(terminal.type), message: errorMessage(terminal) };
  const { completion, error_kind } = completionOf(task, lastMessage, failure, artifactPaths(changed, workspace));
  return { completion, usage, error_kind };
}

function errorMessage(event: Record<string, unknown>): string {
  if (typeof event.message === 'string') return event.message;
  if (isRecord(event.error) && typeof event.error.message === 'string') return event.error.message;
  return '';
}
