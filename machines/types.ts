import type { Role } from '../schemas/config.ts';
import type { Completion, CompletionRead, Finding } from '../schemas/completion.ts';
import type { MissingItem, Plan } from '../schemas/packet.ts';
import type { AgentFacts } from './agent-facts.ts';

export type { Role, Completion, CompletionRead, Finding, MissingItem, Plan };
export type { AgentFacts, AgentOutcomeKind } from './agent-facts.ts';

/** CONTRACT 5 blocker codes. */
export const BLOCKER_CODES = [
  'plan_insufficient', 'lock_conflict', 'adapter_unavailable', 'policy_denied',
  'completion_missing', 'completion_invalid', 'completion_conflict', 'worker_failed',
  'worker_blocked', 'worker_timeout', 'verification_blocked', 'review_blocked',
  'retry_exhausted', 'fix_budget_exhausted', 'cancelled', 'registry_corrupt',
  'workspace_setup_failed', 'secret_in_change',
  // Agent presets (CONTRACT 4's agent outcome table) and the run's budget.
  'agent_auth_failed', 'quota_exhausted', 'agent_limit_reached', 'budget_exhausted',
] as const;
export type BlockerCode = (typeof BLOCKER_CODES)[number];

/** Why a run stopped or is held (CONTRACT 5). */
export interface Blocker {
  code: BlockerCode;
  message: string;
  cause?: BlockerCode;
  task_id?: string;
  epoch?: number;
  attempt?: number;
  item?: string;
  /** Another run involved: the lease holder, or the run whose kept worktree holds the branch. */
  run_ref?: string;
  /** The effect that failed (an adapter_unavailable from an effect that threw). */
  stage?: string;
  /** quota_exhausted: the earliest time (ISO) a resume can succeed. */
  not_before?: string;
}

/** What a worker process did, as the dispatch adapter observed it: facts, no decisions. */
export type WorkerRun =
  | {
    kind: 'exited'; exitCode: number | null; signal: string | null; completion: CompletionRead;
    /** A preset agent's stream. */
    agent?: AgentFacts;
    /** No driver saw it exit (an adopted worker, or a completion found after a crash): its exit code is unknown. */
    unobserved?: boolean;
  }
  | { kind: 'timed_out'; timeoutMs: number; /** Killed for silence (idle_timeout_ms), not the deadline. */ idleMs?: number }
  | { kind: 'start_failed'; message: string }
  | {
    kind: 'lost';
    message: string;
    /**
     * The process ended while no driver was watching it (found dead on resume: the driver and the
     * worker went down together, as in an OOM kill, a container restart or a power cut), as opposed
     * to an adopted worker that ended while a driver watched.
     */
    unwatched?: boolean;
  };

/** The codes a single dispatch can fail with; all but conflict and blocked are retryable. */
export type DispatchFailure =
  | 'completion_missing' | 'completion_invalid' | 'completion_conflict'
  | 'worker_failed' | 'worker_timeout' | 'worker_blocked';

/**
 * Terminal status of one worker task. `interrupted`: its process ended while no driver was watching,
 * leaving no completion; no evidence either way about the work (the run may dispatch it again).
 */
export type TaskStatus = 'dispatched' | 'completed' | 'failed' | 'blocked' | 'timed_out' | 'cancelled' | 'interrupted';

/** How the worker-task machine judged a completion (or its absence). */
export type CompletionDecision = 'accepted' | 'duplicate' | 'conflict' | 'invalid' | 'none';

/** Identity of one dispatch: unique task id, the stage attempt it serves, its retry number. */
export interface TaskRef {
  task_id: string;
  role: Role;
  attempt: number;
  epoch: number;
  retry: number;
}

/** The settled result of one worker task, as the run machine receives it. */
export interface TaskOutcome {
  task_id: string;
  role: Role;
  status: Exclude<TaskStatus, 'dispatched'>;
  decision: CompletionDecision;
  code: DispatchFailure | null;
  message: string;
  summary: string;
  verdict: Completion['verdict'] | null;
  findings: Finding[];
  /** A preset agent's report of how its dispatch ended (null for a command worker). */
  agent?: AgentFacts | null;
}

/** One line of the run's task history (status --json `tasks`). */
export interface TaskRecord extends TaskRef {
  status: TaskStatus;
  decision: CompletionDecision;
  code: DispatchFailure | null;
  verdict: Completion['verdict'] | null;
  /** A preset agent's reported cost (USD; codex reports none) and turns. */
  cost_usd?: number | null;
  turns?: number | null;
  /** A preset agent's outcome kind and session (continued, when it was given one). */
  agent_outcome?: string | null;
  session_id?: string | null;
  resumed_session?: string | null;
}

/** A gate's verdict for one epoch. */
export interface GateResult {
  epoch: number;
  verdict: 'PASS' | 'FAIL' | 'BLOCKED';
  findings: Finding[];
  message: string;
}

/** What the verification actor reports. */
export interface VerificationReport extends GateResult {
  commands: { command: string; exit_code: number | null; outcome: 'passed' | 'failed' | 'timed_out' | 'start_failed'; log: string }[];
}

/** The handoff kinds of CONTRACT 8. */
export type HandoffKind = 'local' | 'git-branch' | 'github-pr';

/** Where the handoff went: always a patch/summary; a commit for git-branch; a push and PR for github-pr. */
export interface HandoffRecord {
  kind: HandoffKind;
  patch_path: string | null;
  summary_path: string;
  files_changed: number;
  target: { repo: string; base_branch: string; intended_branch: string };
  branch?: string;
  commit?: string;
  pushed?: boolean;
  pr?: { number: number; url: string; action: 'created' | 'updated' } | null;
}

/** Settings frozen at intake that the machine's guards read. */
export interface RunSettings {
  roles: Record<Role, boolean>;
  max_fix_attempts: number;
  max_dispatch_retries: number;
  allowed_commands: string[];
  /** 0: a lease conflict blocks at once. */
  lease_wait_ms: number;
  handoff: { kind: HandoffKind; allowed_repos: string[] };
  /** workspace.setup has commands to run before the implementer. */
  setup: boolean;
  /** The agent outcome table's bounds (CONTRACT 4): null max_cost_usd is no budget. */
  agents?: AgentSettings;
}

/** How a run treats preset agents' quotas, outages and cost. */
export interface AgentSettings {
  max_cost_usd: number | null;
  /** The longest a run waits for a quota reset or an outage, per stage attempt. */
  max_quota_wait_ms: number;
  /** First pause after a transient failure (or a quota with no reset time); doubles each time. */
  backoff_ms: number;
}
