import type { AgentOutcomeKind } from '../../machines/agent-facts.ts';
import { isRecord, jsonLines } from './final-text.ts';
import type { StreamOutcome } from './types.ts';

/**
 * Claude Code's `--output-format stream-json --verbose` lines, as the CLI writes them. Shapes are
 * those of the Agent SDK's message types (`@anthropic-ai/claude-agent-sdk` sdk.d.ts, which the
 * CLI's stream-json mirrors) and of streams captured in public trackers:
 *
 * - `{"type":"system","subtype":"init","session_id":…}`: the session to `--resume` later.
 * - `{"type":"system","subtype":"api_retry","attempt","max_retries","retry_delay_ms" (may be a
 *   float),"error_status": 429|529|401|null,"error":"rate_limit"|"overloaded"|"authentication_failed"|
 *   "billing_error"|"server_error"|"unknown"|…}` (SDKAPIRetryMessage / SDKAssistantMessageError):
 *   the CLI retries by itself; the last one says what it was fighting.
 * - `{"type":"rate_limit_event","rate_limit_info":{"status":"allowed"|"allowed_warning"|"rejected",
 *   "resetsAt": epoch seconds,"rateLimitType":"five_hour"|…}}` (SDKRateLimitInfo; seconds, not ms,
 *   per paperclipai/paperclip#5776 and desplega-ai/agent-swarm#508): only `rejected` stops work.
 * - `{"type":"stream_event",…}`, `assistant`, `user`: progress, read for nothing but the session.
 * - `{"type":"result","subtype":"success"|"error_max_turns"|"error_during_execution"|
 *   "error_max_budget_usd","is_error","api_error_status","terminal_reason","errors":[…],
 *   "total_cost_usd","num_turns","session_id"}` (SDKResultSuccess / SDKResultError). An API or auth
 *   failure arrives as subtype "success" with is_error true: a captured 429 reads
 *   `…"is_error":true,"num_turns":1,"subtype":"success","api_error_status":429,"result":"API Error:
 *   Request rejected (429) · This request would exceed your organization rate limit…","type":"result"…`
 *   (keys in any order, `type` last), and a refused key "Invalid API key · Please run /login".
 *
 * A `--resume` of a session the CLI cannot find prints "No conversation found with session ID: …"
 * (on stderr, which shares the log) and exits without a result. Non-JSON lines ("Warning: no stdin
 * data received in 3s…") and unknown types are normal and skipped.
 */
export interface ClaudeStream {
  session_id: string | null;
  result: Record<string, unknown> | null;
  /** When a `rejected` rate_limit_event said the limit resets (ms since epoch). */
  rejected_reset: number | null;
  rejected: boolean;
  last_retry: Record<string, unknown> | null;
  /** The lines that were not JSON objects (stderr, banners), for the session-miss message. */
  noise: string;
}

/** One pass over the stream. */
export function scanClaude(output: string): ClaudeStream {
  const scan: ClaudeStream = { session_id: null, result: null, rejected_reset: null, rejected: false, last_retry: null, noise: '' };
  const noise: string[] = [];
  for (const event of jsonLines(output, (line) => noise.push(line))) {
    if (typeof event.session_id === 'string' && event.session_id !== '') scan.session_id = event.session_id;
    if (event.type === 'result') scan.result = event;
    else if (event.type === 'system' && event.subtype === 'api_retry') scan.last_retry = event;
    else if (event.type === 'rate_limit_event' && isRecord(event.rate_limit_info) && event.rate_limit_info.status === 'rejected') {
      scan.rejected = true;
      const resets = Number(event.rate_limit_info.resetsAt);
      if (Number.isFinite(resets) && resets > 0) scan.rejected_reset = resets * 1000;
    }
  }
  scan.noise = noise.join('\n');
  return scan;
}

const AUTH_TEXT = /invalid api key|please run \/login|not logged in|authentication[_ ]failed|oauth token (?:has )?expired|credit balance is too low|billing/i;
const QUOTA_TEXT = /hit your (?:\w+ )?limit|usage limit|rate limit|session limit|\b429\b/i;
const TRANSIENT_TEXT = /overloaded|\b5\d\d\b|internal server error|connection (?:error|reset|refused)|network|ECONNRESET|ETIMEDOUT|socket hang up|timed out/i;
const SESSION_MISS = /No conversation found with session ID/i;

/** How the dispatch ended, by kind (CONTRACT 4's table), from the whole stream. */
export function claudeOutcome(scan: ClaudeStream): StreamOutcome {
  const session_id = scan.session_id;
  const result = scan.result;
  if (result === null) {
    if (SESSION_MISS.test(scan.noise)) return { kind: 'session_missing', message: firstLine(scan.noise, SESSION_MISS), reset_at: null, session_id };
    if (scan.rejected) return { kind: 'quota', message: 'rate limit rejected', reset_at: scan.rejected_reset, session_id };
    return { kind: 'no_result', message: '', reset_at: null, session_id };
  }
  const subtype = typeof result.subtype === 'string' ? result.subtype : 'unknown';
  if (subtype === 'success' && result.is_error !== true) return { kind: 'success', message: '', reset_at: null, session_id };
  const errors = Array.isArray(result.errors) ? result.errors.filter((e): e is string => typeof e === 'string') : [];
  const text = [typeof result.result === 'string' ? result.result : '', ...errors].filter(Boolean).join('; ');
  const message = text || subtype;
  const kind = failureKind(subtype, Number(result.api_error_status), text, scan);
  return { kind, message, reset_at: kind === 'quota' ? scan.rejected_reset : null, session_id };
}

function failureKind(subtype: string, status: number, text: string, scan: ClaudeStream): AgentOutcomeKind {
  if (subtype === 'error_max_turns' || subtype === 'error_max_budget_usd') return 'own_cap';
  const retry = scan.last_retry;
  const retryError = typeof retry?.error === 'string' ? retry.error : null;
  const retryStatus = Number(retry?.error_status);
  if (status === 401 || status === 403 || AUTH_TEXT.test(text) || retryError === 'authentication_failed' || retryError === 'billing_error' || retryStatus === 401) return 'auth';
  if (status === 429 || scan.rejected || retryError === 'rate_limit' || QUOTA_TEXT.test(text)) return 'quota';
  if (status >= 500 || TRANSIENT_TEXT.test(text) || retryError === 'overloaded' || retryError === 'server_error' || resultIsApiError(text, retry)) return 'transient';
  return 'failed';
}

// A result after the CLI gave up its own retries with no HTTP status (network) is an outage.
function resultIsApiError(text: string, retry: Record<string, unknown> | null): boolean {
  return retry !== null && (retry.error_status === null || retry.error === 'unknown') && /api error/i.test(text);
}

function firstLine(text: string, pattern: RegExp): string {
  return text.split('\n').find((l) => pattern.test(l))?.trim().slice(0, 300) ?? '';
}

/** The terminal event of a Claude stream: once it is written, the agent is done. */
export function isClaudeTerminal(event: Record<string, unknown>): boolean {
  return event.type === 'result';
}
