import type { Blocker, BlockerCode, MissingItem, Role, RunSettings, TaskOutcome, TaskRef } from './types.ts';

/**
 * The run's context: everything decisions need, nothing that grows with the run's length
 * (task history lives in the journal, so persisting a snapshot costs the same at any step).
 */
export interface RunContext {
  run_id: string;
  plan: import('./types.ts').Plan;
  missing: MissingItem[];
  settings: RunSettings;
  /** Starts at 0; each entry to verification begins the next epoch. */
  epoch: number;
  fix_attempts: number;
  review_attempts: number;
  dispatches: number;
  /** The stage attempt to dispatch next (set on entering a stage, bumped on retry). */
  pending: { role: Role; attempt: number; retry: number } | null;
  current: TaskRef | null;
  /** The accepted implementer/fixer completion the next verification judges. */
  evidence: { task_id: string; epoch: number } | null;
  verification: import('./types.ts').GateResult | null;
  review: import('./types.ts').GateResult | null;
  findings: import('./types.ts').Finding[];
  blocker: Blocker | null;
  blockers: Blocker[];
  handoff: import('./types.ts').HandoffRecord | null;
  /** When waiting for a conflicting lease holder stops (ms since epoch), or null when not waiting. */
  lease_wait_until: number | null;
  /** Sum of the cost (USD) every preset agent dispatch of the run reported (optional: older snapshots). */
  cost_usd?: number;
  /** The implementer's (then the last fixer's) agent session, which the next fixer continues. */
  agent_session?: string | null;
  /** A pause between dispatches for an agent outage or quota: an absolute time, so it holds across restarts. */
  agent_pause?: import('./agent-rules.ts').AgentPause | null;
  /** Dispatches made again because their process ended with no driver watching (bounded by MAX_UNWATCHED_REDISPATCHES). */
  interruptions?: number;
}

/** What the run machine is created with. */
export interface RunInput {
  run_id: string;
  plan: RunContext['plan'];
  missing: MissingItem[];
  settings: RunSettings;
}

/** A fresh run's context. */
export function initialContext(input: RunInput): RunContext {
  return {
    ...input,
    epoch: 0,
    fix_attempts: 0,
    review_attempts: 0,
    dispatches: 0,
    pending: null,
    current: null,
    evidence: null,
    verification: null,
    review: null,
    findings: [],
    blocker: null,
    blockers: [],
    handoff: null,
    lease_wait_until: null,
    cost_usd: 0,
    agent_session: null,
    agent_pause: null,
    interruptions: 0,
  };
}

/**
 * How many dispatches of a run may be made again, without spending a retry, because their process
 * ended while no driver watched (the driver and the worker went down together). Beyond it such an
 * ending counts as completion_missing: a worker that always takes its driver down cannot loop.
 */
export const MAX_UNWATCHED_REDISPATCHES = 3;

/** An interrupted dispatch that may be made again for free. */
export function mayRedispatchInterrupted(context: RunContext, outcome: TaskOutcome): boolean {
  return outcome.status === 'interrupted' && (context.interruptions ?? 0) < MAX_UNWATCHED_REDISPATCHES;
}

/** Implementer and fixer work is judged by the epoch about to start; a reviewer judges the current one. */
export function nextTask(context: RunContext): TaskRef {
  const pending = context.pending ?? { role: 'implementer' as const, attempt: 1, retry: 0 };
  const n = context.dispatches + 1;
  return {
    task_id: `t${n}-${pending.role}`,
    role: pending.role,
    attempt: pending.attempt,
    retry: pending.retry,
    epoch: pending.role === 'reviewer' ? context.epoch : context.epoch + 1,
  };
}

const RETRYABLE = new Set(['completion_missing', 'completion_invalid', 'worker_failed', 'worker_timeout']);

/** A failed dispatch that another dispatch of the same attempt may cure. */
export function isRetryable(outcome: TaskOutcome): boolean {
  return outcome.code !== null && RETRYABLE.has(outcome.code);
}

/** A blocker tied to the task that caused it. */
export function taskBlocker(code: BlockerCode, outcome: TaskOutcome, ref: TaskRef | null, extra: Partial<Blocker> = {}): Blocker {
  return {
    code,
    message: outcome.message,
    task_id: outcome.task_id,
    ...(ref ? { epoch: ref.epoch, attempt: ref.attempt } : {}),
    ...extra,
  };
}

/** The blocker for a dispatch whose retries are spent. */
export function retryExhausted(context: RunContext, outcome: TaskOutcome): Blocker {
  const tries = (context.current?.retry ?? 0) + 1;
  return taskBlocker('retry_exhausted', outcome, context.current, {
    cause: outcome.code ?? 'worker_failed',
    message: `${outcome.role} gave no acceptable completion in ${tries} dispatch(es): ${outcome.message}`,
  });
}

/** One blocker per missing packet item (CONTRACT 5). */
export function planBlockers(missing: MissingItem[]): Blocker[] {
  return missing.map((m) => ({ code: 'plan_insufficient' as const, message: m.message, item: m.item }));
}

/** The packet's verification commands that the config does not allow. */
export function deniedCommands(context: RunContext): string[] {
  return deniedCommandsOf(context.plan, context.settings);
}

/** The plan's verification commands that these settings do not allow. */
export function deniedCommandsOf(plan: RunContext['plan'], settings: RunSettings): string[] {
  const allowed = new Set(settings.allowed_commands);
  return plan.verification_commands.filter((c) => !allowed.has(c));
}
