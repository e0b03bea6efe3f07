import type { AgentOutcomeKind } from '../../machines/agent-facts.ts';
import { isRecord } from './final-text.ts';
import { clockReset, durationReset } from './reset-time.ts';
import type { StreamOutcome } from './types.ts';

/**
 * `codex exec --json` JSONL, as the CLI writes it (openai/codex docs/exec.md and
 * codex-rs/exec/src/exec_events.rs; error texts from the openai/codex tracker):
 *
 * - `{"type":"thread.started","thread_id":…}`: the id `codex exec resume <thread_id>` continues.
 * - `turn.started`; `item.started` / `item.updated` / `item.completed` with `item.type`
 *   agent_message, reasoning, command_execution (`exit_code`, `status`), file_change (`changes`,
 *   `status`), mcp_tool_call, web_search, todo_list, error.
 * - `{"type":"turn.completed","usage":{…}}`: the turn ended; a shell command that failed inside it
 *   is part of the work, not a failure of the agent.
 * - `{"type":"turn.failed","error":{"message":…}}`: the turn ended in an error.
 * - `{"type":"error","message":…}`: a fatal error, or a retry notice the CLI recovers from by
 *   itself ("Reconnecting... 1/5 (stream disconnected before completion: …)", "…retrying 2/5 in
 *   3.32s…"). On a usage limit the message carries the API's 429 body, JSON-encoded:
 *   `{"type":"error","error":{"type":"usage_limit_reached","message":"The usage limit has been
 *   reached","resets_at":1777936568,"resets_in_seconds":13872},"status_code":429,…}` (seen in
 *   earendil-works/pi#4172), or the words "You've hit your usage limit. … try again at 5:26 PM."
 *   Refused credentials end "exceeded retry limit, last status: 401 Unauthorized" (#6191).
 *
 * `codex exec resume` of an id it cannot find says "No saved session found" and exits.
 */
export interface CodexStream {
  session_id: string | null;
  /** The last turn.completed / turn.failed, or a fatal `error` when no turn ended. */
  terminal: Record<string, unknown> | null;
  turns: number;
  last_message: string;
  changed: string[];
  noise: string;
}

const RETRY_NOTICE = /^\s*re-?connecting\b|retrying \d+\/\d+/i;
const TERMINAL = new Set(['turn.completed', 'turn.failed']);

/** The text of an error event or item, wherever codex put it. */
export function codexErrorText(event: Record<string, unknown>): string {
  if (typeof event.message === 'string') return event.message;
  if (isRecord(event.error) && typeof event.error.message === 'string') return event.error.message;
  if (isRecord(event.item) && typeof event.item.message === 'string') return event.item.message;
  return '';
}

/** One pass over the stream: session, terminal event, last agent message, changed files. */
export function scanCodex(events: Record<string, unknown>[], noise: string, filesChanged: string[]): CodexStream {
  const scan: CodexStream = { session_id: null, terminal: null, turns: 0, last_message: '', changed: [...filesChanged], noise };
  let fatal: Record<string, unknown> | null = null;
  for (const event of events) {
    const type = event.type;
    if (type === 'thread.started' && typeof event.thread_id === 'string') scan.session_id = event.thread_id;
    else if (typeof type === 'string' && TERMINAL.has(type)) {
      scan.terminal = event;
      if (type === 'turn.completed') scan.turns++;
    } else if (type === 'error' && !RETRY_NOTICE.test(codexErrorText(event))) fatal = event;
    else if (type === 'item.completed' && isRecord(event.item)) {
      const item = event.item;
      if (item.type === 'agent_message' && typeof item.text === 'string') scan.last_message = item.text;
      if (item.type === 'file_change' && item.status !== 'failed' && Array.isArray(item.changes)) {
        for (const change of item.changes) if (isRecord(change) && typeof change.path === 'string') scan.changed.push(change.path);
      }
    }
  }
  // An error after the last turn ended (or with no turn at all) is how the dispatch ended.
  if (fatal !== null && (scan.terminal === null || events.indexOf(fatal) > events.indexOf(scan.terminal))) scan.terminal = fatal;
  return scan;
}

const SESSION_MISS = /No saved session found|no rollout found|session not found/i;

/** How the dispatch ended, by kind (CONTRACT 4's table). `now` dates "try again at 5:26 PM". */
export function codexOutcome(scan: CodexStream, now: number): StreamOutcome {
  const session_id = scan.session_id;
  const terminal = scan.terminal;
  if (terminal === null) {
    if (SESSION_MISS.test(scan.noise)) return { kind: 'session_missing', message: 'No saved session found', reset_at: null, session_id };
    return { kind: 'no_result', message: '', reset_at: null, session_id };
  }
  if (terminal.type === 'turn.completed') return { kind: 'success', message: '', reset_at: null, session_id };
  const text = codexErrorText(terminal);
  const { kind, reset_at } = classify(text, now);
  return { kind, message: text.slice(0, 500) || String(terminal.type), reset_at, session_id };
}

function classify(text: string, now: number): { kind: AgentOutcomeKind; reset_at: number | null } {
  const body = embeddedBody(text);
  const error = isRecord(body?.error) ? body.error : null;
  const status = Number(body?.status_code ?? statusIn(text));
  if (status === 429 || error?.type === 'usage_limit_reached' || /usage limit|rate limit|too many requests|quota/i.test(text)) {
    const resetsAt = Number(error?.resets_at);
    const resetsIn = Number(error?.resets_in_seconds);
    const reset = Number.isFinite(resetsAt) && resetsAt > 0 ? resetsAt * 1000
      : Number.isFinite(resetsIn) && resetsIn > 0 ? now + resetsIn * 1000
        : clockReset(text, now) ?? durationReset(text, now);
    return { kind: 'quota', reset_at: reset };
  }
  if (status === 401 || status === 403 || /unauthorized|invalid api key|not logged in|authentication|please log ?in/i.test(text)) return { kind: 'auth', reset_at: null };
  if (SESSION_MISS.test(text)) return { kind: 'session_missing', reset_at: null };
  if (status >= 500 || /overloaded|stream disconnected|timed? ?out|connection|network|temporarily unavailable|bad gateway/i.test(text)) return { kind: 'transient', reset_at: null };
  return { kind: 'failed', reset_at: null };
}

// "…last status: 401 Unauthorized", "unexpected status 502 Bad Gateway"
function statusIn(text: string): number {
  const m = /status(?: code)?:?\s*(\d{3})\b/i.exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

// The API's JSON error body codex quotes inside its message, if any.
function embeddedBody(text: string): Record<string, unknown> | null {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start === -1 || end <= start) return null;
  try {
    const value: unknown = JSON.parse(text.slice(start, end + 1));
    return isRecord(value) ? value : null;
  } catch {
    return null;
  }
}

/** The terminal events of a codex stream: once one is written, the agent is done. */
export function isCodexTerminal(event: Record<string, unknown>): boolean {
  return event.type === 'turn.completed' || event.type === 'turn.failed';
}
