// The stream readers on the shapes the agents write (adapters/agent-presets/claude-stream.ts and
// codex-stream.ts name their sources): every outcome kind, keys in any order, noise, unknown types.
import { describe, expect, it } from 'vitest';
import { claudeOutcome, scanClaude } from '../../adapters/agent-presets/claude-stream.ts';
import { codexOutcome, scanCodex } from '../../adapters/agent-presets/codex-stream.ts';
import { jsonLines } from '../../adapters/agent-presets/final-text.ts';
import { isTerminalEvent } from '../../adapters/agent-presets/index.ts';
import { clockReset, durationReset } from '../../adapters/agent-presets/reset-time.ts';

const lines = (...items: Array<string | object>) => items.map((i) => (typeof i === 'string' ? i : JSON.stringify(i))).join('\n');
const claude = (...items: Array<string | object>) => claudeOutcome(scanClaude(lines(...items)));
const NOW = Date.parse('2026-03-02T10:00:00Z');
const codex = (...items: Array<string | object>) => {
  const noise: string[] = [];
  return codexOutcome(scanCodex(jsonLines(lines(...items), (l) => noise.push(l)), noise.join('\n'), []), NOW);
};
const INIT = { type: 'system', subtype: 'init', session_id: 's-1', cwd: '/w' };

describe('claude stream-json', () => {
  it('success, with the result\'s `type` last, noise lines, stream events and unknown types; the session is kept', () => {
    expect(claude(
      'Warning: no stdin data received in 3s, proceeding without it.', INIT,
      { type: 'stream_event', event: { type: 'content_block_delta' } }, { type: 'who_knows' },
      '{"subtype":"success","is_error":false,"result":"done","total_cost_usd":0.1,"session_id":"s-1","type":"result"}',
    )).toEqual({ kind: 'success', message: '', reset_at: null, session_id: 's-1' });
  });

  it('an API failure reported as subtype success with is_error: 429 is a quota; the rejected rate_limit_event gives the reset (seconds)', () => {
    const out = claude(
      INIT,
      { type: 'rate_limit_event', rate_limit_info: { status: 'allowed_warning', resetsAt: 1 } },
      { type: 'rate_limit_event', rate_limit_info: { status: 'rejected', resetsAt: 1778565600, rateLimitType: 'five_hour' } },
      '{"is_error":true,"num_turns":1,"subtype":"success","api_error_status":429,"result":"API Error: Request rejected (429) · This request would exceed your organization rate limit.","type":"result","terminal_reason":"api_error"}',
    );
    expect(out).toMatchObject({ kind: 'quota', reset_at: 1778565600_000 });
    expect(out.message).toContain('Request rejected (429)');
  });

  it('a 429 with no reset time is a quota with reset_at null (the run backs off)', () => {
    expect(claude({ type: 'result', subtype: 'success', is_error: true, api_error_status: 429, result: "You've hit your limit · resets 2pm (Asia/Shanghai)" }))
      .toMatchObject({ kind: 'quota', reset_at: null });
  });

  it('refused credentials: "Invalid API key · Please run /login", a 401, or api_retry authentication_failed', () => {
    expect(claude({ type: 'result', subtype: 'success', is_error: true, result: 'Invalid API key · Please run /login' }).kind).toBe('auth');
    expect(claude({ type: 'result', subtype: 'success', is_error: true, api_error_status: 401, result: 'API Error' }).kind).toBe('auth');
    expect(claude(
      { type: 'system', subtype: 'api_retry', attempt: 1, max_retries: 10, retry_delay_ms: 512.7, error_status: 401, error: 'authentication_failed' },
      { type: 'result', subtype: 'error_during_execution', is_error: true, errors: ['request failed'] },
    ).kind).toBe('auth');
  });

  it('transient: 529 / 5xx, api_retry overloaded, or a network failure after the CLI\'s own retries', () => {
    expect(claude({ type: 'result', subtype: 'success', is_error: true, api_error_status: 529, result: 'API Error: Repeated 529 Overloaded errors' }).kind).toBe('transient');
    expect(claude(
      { type: 'system', subtype: 'api_retry', attempt: 10, max_retries: 10, retry_delay_ms: 32000, error_status: null, error: 'unknown' },
      { type: 'result', subtype: 'success', is_error: true, result: 'API Error: Connection error.' },
    ).kind).toBe('transient');
  });

  it('the agent\'s own caps, a failure of the work itself, a missed session, no result', () => {
    expect(claude({ type: 'result', subtype: 'error_max_turns', is_error: false, num_turns: 40 }).kind).toBe('own_cap');
    expect(claude({ type: 'result', subtype: 'error_max_budget_usd', is_error: true, errors: ['budget'] }).kind).toBe('own_cap');
    expect(claude({ type: 'result', subtype: 'error_during_execution', is_error: true, errors: ['Tool failed: EACCES'] }).kind).toBe('failed');
    expect(claude('No conversation found with session ID: 1234').kind).toBe('session_missing');
    expect(claude(INIT, { type: 'assistant', message: {} }).kind).toBe('no_result');
  });

  it('the terminal event is the result, wherever `type` stands', () => {
    expect(isTerminalEvent('claude', '{"subtype":"success","type":"result"}')).toBe(true);
    expect(isTerminalEvent('claude', '{"type":"assistant","message":{"content":"{\\"type\\":\\"result\\"}"}}')).toBe(false);
    expect(isTerminalEvent('claude', 'type result')).toBe(false);
  });
});

describe('codex exec --json', () => {
  const START = { type: 'thread.started', thread_id: 't-9' };
  it('a turn.completed after a recovered reconnect and a failed shell command is a success; the thread is the session', () => {
    expect(codex(
      'Reading prompt from arguments', START, { type: 'turn.started' },
      { type: 'error', message: 'Reconnecting... 1/5 (stream disconnected before completion: error sending request)' },
      { type: 'item.completed', item: { type: 'command_execution', exit_code: 1, status: 'failed' } },
      { type: 'some.new_event' }, { usage: {}, type: 'turn.completed' },
    )).toEqual({ kind: 'success', message: '', reset_at: null, session_id: 't-9' });
  });

  it('a usage limit: the JSON-encoded 429 body gives resets_at; the words give "try again at …" / "in …"', () => {
    const body = JSON.stringify({ type: 'error', error: { type: 'usage_limit_reached', resets_at: 1777936568, resets_in_seconds: 13872 }, status_code: 429 });
    expect(codex(START, { type: 'error', message: body }, { type: 'turn.failed', error: { message: body } })).toMatchObject({ kind: 'quota', reset_at: 1777936568_000 });
    const text = codex(START, { type: 'error', message: "You've hit your usage limit. Upgrade to Pro or try again at 5:26 PM." });
    expect(text.kind).toBe('quota');
    expect(new Date(text.reset_at!).getHours()).toBe(17);
    expect(new Date(text.reset_at!).getMinutes()).toBe(26);
    expect(text.reset_at!).toBeGreaterThan(NOW);
    expect(codex({ type: 'turn.failed', error: { message: 'Rate limit reached. Please try again in 2 days 17 hours 14 minutes.' } }).reset_at)
      .toBe(NOW + (2 * 24 * 60 + 17 * 60 + 14) * 60_000);
  });

  it('auth, transient, a missed session, a plain failure, no terminal event', () => {
    expect(codex({ type: 'turn.failed', error: { message: 'exceeded retry limit, last status: 401 Unauthorized, request id: x' } }).kind).toBe('auth');
    expect(codex({ type: 'turn.failed', error: { message: 'unexpected status 502 Bad Gateway: upstream_error' } }).kind).toBe('transient');
    expect(codex({ type: 'turn.failed', error: { message: 'stream disconnected before completion' } }).kind).toBe('transient');
    expect(codex('Error: No saved session found with ID 0199').kind).toBe('session_missing');
    expect(codex({ type: 'turn.failed', error: { message: 'the model returned no output' } }).kind).toBe('failed');
    expect(codex(START, { type: 'turn.started' }).kind).toBe('no_result');
    // A retry notice alone is not how a dispatch ends.
    expect(codex(START, { type: 'error', message: 'Reconnecting... 2/5' }).kind).toBe('no_result');
  });

  it('the terminal events are turn.completed and turn.failed', () => {
    expect(isTerminalEvent('codex', '{"usage":{},"type":"turn.completed"}')).toBe(true);
    expect(isTerminalEvent('codex', '{"type":"turn.failed","error":{"message":"x"}}')).toBe(true);
    expect(isTerminalEvent('codex', '{"type":"error","message":"Reconnecting... 1/5"}')).toBe(false);
  });
});

describe('reset times in words', () => {
  it('a clock time is the next one after now; AM/PM and 12 o\'clock are read right', () => {
    const now = new Date(2026, 2, 2, 18, 0).getTime();
    expect(new Date(clockReset('try again at 5:26 PM.', now)!)).toEqual(new Date(2026, 2, 3, 17, 26));
    expect(new Date(clockReset('try again at 12:05 AM', now)!)).toEqual(new Date(2026, 2, 3, 0, 5));
    expect(new Date(clockReset('try again at 18:30', now)!)).toEqual(new Date(2026, 2, 2, 18, 30));
    expect(clockReset('try again later', now)).toBeNull();
  });

  it('a duration is added to now', () => {
    expect(durationReset('Try again in 17 seconds.', 0)).toBe(17_000);
    expect(durationReset('try again in 1 hour, 5 minutes', 0)).toBe(3_900_000);
    expect(durationReset('try again soon', 0)).toBeNull();
  });
});
