import type { AgentFacts, AgentSettings, Blocker, RunSettings, TaskOutcome } from './types.ts';
import type { RunContext } from './run-rules.ts';

/**
 * The agent outcome table of CONTRACT 4, as pure rules: how long a run pauses for an outage or a
 * quota, when it gives up, what a dispatch may spend. The run machine's guards and assigns call
 * these; the clock is the time the dispatch adapter read the stream (`observed_at`).
 */

/** Defaults for runs recorded before these settings existed (and for a config that omits them). */
export const AGENT_DEFAULTS: AgentSettings = { max_cost_usd: null, max_quota_wait_ms: 6 * 3600_000, backoff_ms: 30_000 };
/** The longest single pause after a transient failure. */
export const MAX_BACKOFF_MS = 15 * 60_000;

export const agentSettings = (settings: RunSettings): AgentSettings => settings.agents ?? AGENT_DEFAULTS;

/** What a run is waiting for between two dispatches of one stage attempt. */
export interface AgentPause {
  reason: 'transient' | 'quota';
  /** Dispatch again at this time (ms since epoch). */
  until: number;
  /** When the first pause of this stage attempt began: the bound counts from here. */
  since: number;
  /** Backoff pauses so far in this stage attempt (the next one doubles). */
  pauses: number;
}

export const agentOf = (outcome: TaskOutcome): AgentFacts | null => outcome.agent ?? null;
export const agentKindIs = (outcome: TaskOutcome, kind: AgentFacts['kind']): boolean => agentOf(outcome)?.kind === kind;

/** The pause that follows a transient or quota outcome, or why the run must stop instead. */
export function planPause(context: RunContext, outcome: TaskOutcome):
  | { ok: true; pause: AgentPause }
  | { ok: false; not_before: number; reason: 'transient' | 'quota' } {
  const agent = agentOf(outcome)!;
  const settings = agentSettings(context.settings);
  const previous = context.agent_pause ?? null;
  const pauses = previous?.pauses ?? 0;
  const since = previous?.since ?? agent.observed_at;
  const reason = agent.kind === 'quota' ? 'quota' : 'transient';
  const backoff = Math.min(MAX_BACKOFF_MS, settings.backoff_ms * 2 ** pauses);
  const resets = agent.kind === 'quota' && agent.reset_at !== null;
  const until = resets ? Math.max(agent.reset_at!, agent.observed_at) : agent.observed_at + backoff;
  if (until - since > settings.max_quota_wait_ms) return { ok: false, not_before: until, reason };
  // Only a backoff grows: a known reset time is waited for as it is.
  return { ok: true, pause: { reason, until, since, pauses: resets ? pauses : pauses + 1 } };
}

/** What the run may still spend (USD), or null with no budget. */
export function budgetLeft(context: RunContext): number | null {
  const max = agentSettings(context.settings).max_cost_usd;
  if (max === null) return null;
  return Math.max(0, Math.round((max - (context.cost_usd ?? 0)) * 1e6) / 1e6);
}

/** The run has spent its limits.max_cost_usd: no further dispatch. */
export const budgetSpent = (context: RunContext): boolean => budgetLeft(context) === 0;

/** Cost, session and pause after one settled dispatch. */
export function noteAgent(context: RunContext, outcome: TaskOutcome): Pick<RunContext, 'cost_usd' | 'agent_session' | 'agent_pause'> {
  const agent = agentOf(outcome);
  const cost = Math.round(((context.cost_usd ?? 0) + (agent?.cost_usd ?? 0)) * 1e6) / 1e6;
  // A late settlement of another task adds what it cost and changes nothing else.
  if (outcome.task_id !== context.current?.task_id) {
    return { cost_usd: cost, agent_session: context.agent_session ?? null, agent_pause: context.agent_pause ?? null };
  }
  // A fixer continues the latest implementer/fixer session; a reviewer's own session is not continued.
  const carries = agent?.session_id && outcome.role !== 'reviewer';
  const paused = agent?.kind === 'transient' || agent?.kind === 'quota';
  return {
    cost_usd: cost,
    agent_session: carries ? agent!.session_id : (context.agent_session ?? null),
    agent_pause: paused ? (context.agent_pause ?? null) : null,
  };
}

/** A fixer is given the session to continue (the worker's config may still decline it). */
export const sessionFor = (context: RunContext): string | null =>
  context.pending?.role === 'fixer' ? (context.agent_session ?? null) : null;

const iso = (ms: number) => new Date(ms).toISOString();

/** quota_exhausted: the reset (or the end of the outage wait) lies past limits.max_quota_wait_ms. */
export function quotaBlocker(context: RunContext, outcome: TaskOutcome, notBefore: number, reason: 'transient' | 'quota'): Blocker {
  const wait = agentSettings(context.settings).max_quota_wait_ms;
  const said = agentOf(outcome)?.message;
  const what = reason === 'quota'
    ? `the agent's quota resets at ${iso(notBefore)}${said ? ` (${said})` : ''}, later than limits.max_quota_wait_ms (${wait} ms) allows the run to wait`
    : `the agent's API kept failing (${agentOf(outcome)?.message || 'transient errors'}) for longer than limits.max_quota_wait_ms (${wait} ms)`;
  return {
    code: 'quota_exhausted', message: `${what}; resume after ${iso(notBefore)}`, task_id: outcome.task_id, not_before: iso(notBefore),
    ...(context.current ? { epoch: context.current.epoch, attempt: context.current.attempt } : {}),
  };
}

/** agent_auth_failed / agent_limit_reached, tied to the task that reported it. */
export function agentBlocker(context: RunContext, outcome: TaskOutcome, code: 'agent_auth_failed' | 'agent_limit_reached'): Blocker {
  const agent = agentOf(outcome);
  const message = code === 'agent_auth_failed'
    ? `the ${outcome.role} agent's credentials were refused${agent?.message ? ` (${agent.message})` : ''}: fix the key or login the worker uses (its "env" names), then retry`
    : `the ${outcome.role} agent stopped at its own cap${agent?.message ? ` (${agent.message})` : ''}: raise max_turns / max_budget_usd or narrow the task, then retry`;
  return {
    code, message, task_id: outcome.task_id,
    ...(context.current ? { epoch: context.current.epoch, attempt: context.current.attempt } : {}),
  };
}

/** budget_exhausted: checked before each dispatch. */
export function budgetBlocker(context: RunContext): Blocker {
  const max = agentSettings(context.settings).max_cost_usd;
  return {
    code: 'budget_exhausted',
    message: `the run has spent $${(context.cost_usd ?? 0).toFixed(4)} of limits.max_cost_usd $${max}: no further agent is dispatched`,
    ...(context.epoch > 0 ? { epoch: context.epoch } : {}),
  };
}
