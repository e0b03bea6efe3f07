/**
 * What a preset agent's stream said about how its dispatch ended, as the dispatch adapter read it:
 * facts only. The run machine decides what each kind means (CONTRACT 4, the agent outcome table).
 *
 * - `success`: the agent finished its turn; the completion decides the rest.
 * - `failed`: the agent ended in an error that is neither of the kinds below (worker_failed).
 * - `transient`: the API was overloaded, failed with a 5xx or the network broke.
 * - `quota`: a rate or usage limit; `reset_at` when the agent said when it resets.
 * - `auth`: refused credentials (401, `authentication_failed`, "Invalid API key", billing).
 * - `own_cap`: the agent's own turn or budget cap (`error_max_turns`, `error_max_budget_usd`).
 * - `session_missing`: a `--resume` / `exec resume` the agent could not find.
 * - `no_result`: the stream has no terminal event (the agent died mid-way).
 */
export const AGENT_OUTCOME_KINDS = ['success', 'failed', 'transient', 'quota', 'auth', 'own_cap', 'session_missing', 'no_result'] as const;
export type AgentOutcomeKind = (typeof AGENT_OUTCOME_KINDS)[number];

/** One dispatch of a preset agent, as its stream reported it. */
export interface AgentFacts {
  kind: AgentOutcomeKind;
  /** The agent's own words for the ending (error text, subtype), redacted. */
  message: string;
  /** When the quota resets (ms since epoch), if the agent said. */
  reset_at: number | null;
  /** When the stream was read (ms since epoch): the machine keeps no clock, pauses start here. */
  observed_at: number;
  /** Cost the agent reported for this dispatch (USD); null when it reports none (codex). */
  cost_usd: number | null;
  turns: number | null;
  /** The agent's session (Claude `session_id`, Codex `thread_id`), to continue it later. */
  session_id: string | null;
  /** The session this dispatch was asked to continue, if any. */
  resumed_session: string | null;
}
