import type { PresetName, PresetOptions, PresetTask, StreamReading, StreamTask } from './types.ts';
import { claudeArgs, claudeFromStream } from './claude.ts';
import { codexArgs, codexFromStream } from './codex.ts';
import { isClaudeTerminal } from './claude-stream.ts';
import { isCodexTerminal } from './codex-stream.ts';
import { isRecord } from './final-text.ts';
import { buildPrompt } from './prompt.ts';

export type { PresetName, PresetOptions, PresetTask, PresetUsage, StreamOutcome, StreamReading, StreamTask } from './types.ts';
export { buildPrompt, PROMPT_MAX_BYTES } from './prompt.ts';

export const PRESET_NAMES: readonly PresetName[] = ['claude', 'codex'];

/** The documented headless invocation: program + args, no shell. Spawn it with stdin ignored. */
export function presetInvocation(preset: PresetName, options: PresetOptions, task: PresetTask): { file: string; args: string[] } {
  const prompt = buildPrompt(task);
  switch (preset) {
    case 'claude': return { file: options.program ?? 'claude', args: claudeArgs(options, task, prompt) };
    case 'codex': return { file: options.program ?? 'codex', args: codexArgs(options, task, prompt) };
  }
}

/**
 * Reads the agent's captured output (stdout+stderr interleaved; non-JSON lines are skipped) into
 * a completion (the CONTRACT 4 JSON a worker would have written) plus usage. `completion` is null
 * when the stream has no terminal event (the agent died mid-way): the caller treats that as
 * completion_missing. `error_kind` names why the agent failed (e.g. `error_max_turns`,
 * `turn.failed`), `no_verdict` for a reviewer without a verdict line, `no_result` /
 * `no_terminal_event` for a null completion, else null. `workspace`, when given, turns absolute
 * changed paths inside it into relative artifacts.
 */
export function completionFromStream(
  preset: PresetName, output: string, task: StreamTask, filesChanged: string[], workspace?: string, now = Date.now(),
): StreamReading {
  switch (preset) {
    case 'claude': return claudeFromStream(output, task, filesChanged, workspace);
    case 'codex': return codexFromStream(output, task, filesChanged, workspace, now);
  }
}

/** True for a line holding the agent's final event: once it is written, the agent has answered. */
export function isTerminalEvent(preset: PresetName, line: string): boolean {
  if (!line.startsWith('{')) return false;
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch {
    return false;
  }
  if (!isRecord(event)) return false;
  return preset === 'claude' ? isClaudeTerminal(event) : isCodexTerminal(event);
}
