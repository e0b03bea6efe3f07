import type { Finding, Plan, Role } from '../../machines/types.ts';
import type { AgentOutcomeKind } from '../../machines/agent-facts.ts';

/** The built-in agent presets. */
export type PresetName = 'claude' | 'codex';

/** Config fields a preset worker may set (validated elsewhere). */
export interface PresetOptions {
  program?: string;
  model?: string;
  max_turns?: number;
  max_budget_usd?: number;
  extra_args?: string[];
  /** false: a fixer starts a fresh session instead of continuing the implementer's. */
  continue_session?: boolean;
}

/** What a preset needs to know about the task it runs. */
export interface PresetTask {
  task_id: string;
  role: 'implementer' | 'fixer' | 'reviewer';
  attempt: number;
  epoch: number;
  plan: Plan;
  /** Findings of the failed gate (fixer), else empty. */
  findings: Finding[];
  /** Path of the BURAN_TASK_FILE json. */
  taskFile: string;
  /** The agent session this dispatch continues (a fixer), if any. */
  resume_session?: string | null;
  /** What the run may still spend (USD): the agent's own cap is at most this. */
  budget_usd?: number | null;
}

/** What the agent reported about its own consumption; null when it did not say. */
export interface PresetUsage {
  cost_usd: number | null;
  turns: number | null;
}

/** How the agent's dispatch ended, by kind, as its stream said (the machine decides what it means). */
export interface StreamOutcome {
  kind: AgentOutcomeKind;
  message: string;
  reset_at: number | null;
  session_id: string | null;
}

/** A completion (CONTRACT 4 shape) mapped from an agent's stream, or null when it has no terminal event. */
export interface StreamReading {
  completion: Record<string, unknown> | null;
  usage: PresetUsage;
  error_kind: string | null;
  outcome: StreamOutcome;
}

/** The task fields the stream mapping needs. */
export interface StreamTask {
  task_id: string;
  role: Role;
}
