// Test oracle for the run machine, written from CONTRACT 4/5: which blockers a step must add and where the run must end up.
import type { Blocker, GateResult, TaskOutcome, VerificationReport } from '../../machines/types.ts';
import { MAX_UNWATCHED_REDISPATCHES, type RunContext } from '../../machines/run-rules.ts';
import type { StepRecord } from './model-kit.ts';
import type { PreflightFacts } from '../../machines/preflight-rules.ts';

type Expected = Partial<Blocker> & { code: Blocker['code'] };
const RETRYABLE = ['completion_missing', 'completion_invalid', 'worker_failed', 'worker_timeout'];

/** A stage whose role has no configured worker fails closed on entry. */
function roleGap(c: RunContext, role: 'implementer' | 'fixer' | 'reviewer'): Expected[] {
  return c.settings.roles[role] ? [] : [{ code: 'adapter_unavailable', message: `no ${role} worker is configured: add workers.${role} (a "command" or a "preset") to the config` }];
}

/** CONTRACT 4: before each dispatch, the role must be configured and limits.max_cost_usd not spent. */
function dispatchGate(c: RunContext, role: 'implementer' | 'fixer' | 'reviewer', cost = c.cost_usd ?? 0): Expected[] {
  const gap = roleGap(c, role);
  if (gap.length > 0) return gap;
  const max = c.settings.agents?.max_cost_usd ?? null;
  return max !== null && cost >= max - 1e-9 ? [{ code: 'budget_exhausted' }] : [];
}

/**
 * CONTRACT 4's agent table: an outage or a quota pauses (no blocker) while the wait stays within
 * max_quota_wait_ms of the first pause (a reset is waited for; an outage backs off 30 s, 60 s, …);
 * beyond it, quota_exhausted with not_before. Credentials refused and the agent's own cap stop at once.
 */
function agentSettled(c: RunContext, o: TaskOutcome, ref: Partial<Blocker>): Expected[] | null {
  const a = o.agent;
  if (!a) return null;
  const cost = (c.cost_usd ?? 0) + (a.cost_usd ?? 0);
  if (a.kind === 'session_missing' && a.resumed_session && c.agent_session) return dispatchGate(c, o.role, cost);
  if (a.kind === 'transient' || a.kind === 'quota') {
    const bounds = c.settings.agents!;
    const since = c.agent_pause?.since ?? a.observed_at;
    const backoff = Math.min(15 * 60_000, bounds.backoff_ms * 2 ** (c.agent_pause?.pauses ?? 0));
    const until = a.kind === 'quota' && a.reset_at !== null ? Math.max(a.reset_at, a.observed_at) : a.observed_at + backoff;
    return until - since <= bounds.max_quota_wait_ms ? [] : [{ code: 'quota_exhausted', not_before: new Date(until).toISOString(), ...ref }];
  }
  if (a.kind === 'auth') return [{ code: 'agent_auth_failed', ...ref }];
  if (a.kind === 'own_cap') return [{ code: 'agent_limit_reached', ...ref }];
  return null;
}

/** A gate FAIL: the fix loop while budget remains, else fix_budget_exhausted. */
function gateFailed(c: RunContext, cost = c.cost_usd ?? 0): Expected[] {
  if (c.fix_attempts < c.settings.max_fix_attempts) return dispatchGate(c, 'fixer', cost);
  return [{ code: 'fix_budget_exhausted', epoch: c.epoch, message: `a gate failed again after ${c.fix_attempts} of ${c.settings.max_fix_attempts} fix attempt(s)` }];
}

/** Accepted implementer/fixer work: a new epoch of verification on it, if it is this epoch's and the commands are allowed. */
function verificationEntered(c: RunContext): Expected[] {
  const epoch = c.epoch + 1;
  if (c.current?.epoch !== epoch) return [{ code: 'completion_missing', epoch, message: 'verification needs an accepted completion of this epoch' }];
  const denied = c.plan.verification_commands.filter((cmd) => !c.settings.allowed_commands.includes(cmd));
  if (denied.length === 0) return [];
  return [{ code: 'policy_denied', epoch, message: `verification command(s) not in verification.allowed_commands: ${denied.map((d) => JSON.stringify(d)).join(', ')}` }];
}

function settled(c: RunContext, o: TaskOutcome): Expected[] {
  if (o.task_id !== c.current?.task_id) return [];
  const ref = { task_id: o.task_id, epoch: c.current.epoch, attempt: c.current.attempt };
  const agent = agentSettled(c, o, ref);
  if (agent !== null) return agent;
  const cost = (c.cost_usd ?? 0) + (o.agent?.cost_usd ?? 0);
  if (o.status === 'completed' && o.decision === 'accepted') {
    if (o.role !== 'reviewer') return verificationEntered(c);
    if (o.verdict === 'PASS') {
      const gates = c.verification?.epoch === c.epoch && c.verification.verdict === 'PASS';
      return gates ? [] : [{ code: 'verification_blocked', epoch: c.epoch, message: 'handoff needs verification PASS and review PASS of this epoch' }];
    }
    if (o.verdict === 'FAIL') return gateFailed(c, cost);
    return [{ code: 'review_blocked', message: `the reviewer returned BLOCKED: ${o.summary}`, ...ref }];
  }
  if (o.code === 'completion_conflict') return [{ code: 'completion_conflict', message: o.message, ...ref }];
  if (o.status === 'blocked') return [{ code: 'worker_blocked', message: o.message, ...ref }];
  // Its process ended with no driver watching: dispatched again for free, a bounded number of times.
  if (o.status === 'interrupted' && (c.interruptions ?? 0) < MAX_UNWATCHED_REDISPATCHES) return [];
  if (o.code !== null && RETRYABLE.includes(o.code) && c.current.retry < c.settings.max_dispatch_retries) return dispatchGate(c, o.role, cost);
  const message = `${o.role} gave no acceptable completion in ${c.current.retry + 1} dispatch(es): ${o.message}`;
  return [{ code: 'retry_exhausted', cause: o.code ?? 'worker_failed', message, ...ref }];
}

/**
 * CONTRACT 5 preflight: before any worker starts, every reachable role needs a worker (the fixer only
 * while fixes are allowed), every program it found missing for a reachable use blocks, every
 * verification command must be allowed, github-pr only for allowlisted repos (CONTRACT 8), a git
 * handoff needs a git workspace, and the intended branch must not be checked out elsewhere.
 */
function preflight(c: RunContext, facts: PreflightFacts): Expected[] {
  const s = c.settings;
  const reachable = (role: string) => role !== 'fixer' || s.max_fix_attempts > 0;
  const out: Expected[] = [];
  for (const role of ['implementer', 'fixer', 'reviewer'] as const) {
    if (reachable(role) && !s.roles[role]) {
      out.push({ code: 'adapter_unavailable', message: `no ${role} worker is configured: add workers.${role} (a "command" or a "preset") to the config${role === 'fixer' ? ', or set limits.max_fix_attempts to 0 to run without fixes' : ''}` });
    }
  }
  for (const m of facts.missing_programs) if (reachable(m.use)) out.push({ code: 'adapter_unavailable', message: `${m.field}: ${m.reason}` });
  const denied = c.plan.verification_commands.filter((cmd) => !s.allowed_commands.includes(cmd));
  if (denied.length > 0) {
    out.push({ code: 'policy_denied', message: `verification command(s) not in verification.allowed_commands: ${denied.map((d) => JSON.stringify(d)).join(', ')}; add them there (exactly as the packet writes them) if they are safe to run` });
  }
  if (s.handoff.kind === 'github-pr' && !s.handoff.allowed_repos.includes(c.plan.repo)) {
    out.push({ code: 'policy_denied', message: `handoff github-pr: repo ${JSON.stringify(c.plan.repo)} is not in handoff.allowed_repos; add it there or use another handoff.kind` });
  }
  if (facts.branch_holder) {
    out.push({ code: 'lock_conflict', run_ref: 'r0', message: `branch ${JSON.stringify(c.plan.intended_branch)} is checked out in ${facts.branch_holder.path} (the kept worktree of run r0): a run needs its intended branch to itself` });
  }
  return out.map((b) => ({ ...b, stage: 'preflight' }));
}

/** An effect that threw: the blocker code and the stage its message names. */
const EFFECT_ERRORS: Record<string, [Blocker['code'], string]> = {
  'setup:error': ['workspace_setup_failed', 'setting up the workspace'],
  'scan:error': ['adapter_unavailable', 'scanning the change for secrets'],
  'intake:error': ['adapter_unavailable', 'recording the intake'],
  'workspace:error': ['adapter_unavailable', 'preparing the workspace'],
  'lease:error': ['adapter_unavailable', 'taking the leases'],
  'leaseWait:error': ['adapter_unavailable', 'waiting for the leases'],
  'verification:error': ['verification_blocked', 'running verification'],
  'handoff:error': ['adapter_unavailable', 'handing off'],
  'agentPause:error': ['adapter_unavailable', 'waiting for the agent'],
};

/** The blockers a step must append (in order), judged from the state before it and the event. */
export function expectedBlockers(step: StepRecord): Expected[] {
  const c = step.prev.context as RunContext;
  const e = step.event as any;
  const [kind] = step.event.variant.split(':');
  if (step.event.variant === 'cancel') return [{ code: 'cancelled', message: e.reason, epoch: c.epoch }];
  if (step.event.variant === 'retire:error') return [];
  const effectError = EFFECT_ERRORS[step.event.variant];
  if (effectError) return [{ code: effectError[0], message: `${effectError[1]} failed: the effect threw`, ...(c.epoch > 0 ? { epoch: c.epoch } : {}) }];
  if (kind === 'intake') {
    if (c.missing.length > 0) return c.missing.map((m) => ({ code: 'plan_insufficient' as const, message: m.message, item: m.item }));
    return preflight(c, e.output as PreflightFacts);
  }
  if (step.event.variant === 'lease:held') return c.settings.lease_wait_ms > 0 ? [] : [{ code: 'lock_conflict', message: e.output.message, run_ref: 'r0' }];
  if (step.event.variant === 'leaseWait:held') return [{ code: 'lock_conflict', message: `${e.output.message} (waited lease.wait_ms = ${c.settings.lease_wait_ms} ms)`, run_ref: 'r0' }];
  // With setup commands the implementer waits for them; without, its stage begins at once.
  if (step.event.variant === 'lease:granted' || step.event.variant === 'leaseWait:granted') return c.settings.setup ? [] : dispatchGate(c, 'implementer');
  if (step.event.variant === 'setup') return dispatchGate(c, 'implementer');
  if (step.event.variant === 'setup:failed') {
    return [{ code: 'workspace_setup_failed', message: 'workspace.setup command 1 "npm ci" exited with code 1; its output (full log /registry/setup/command-1.log):\nnpm ERR! missing lockfile' }];
  }
  if (step.event.variant === 'scan:secret') {
    return [{ code: 'secret_in_change', epoch: c.epoch, message: 'the change holds what looks like a secret, so nothing was committed or pushed: index.js:3 (a token shaped like ghp_…)' }];
  }
  if (step.event.variant === 'agentPause') return dispatchGate(c, c.pending!.role);
  if (kind === 'verification') {
    const report = e.output as VerificationReport;
    if (report.verdict === 'PASS') return dispatchGate(c, 'reviewer');
    if (report.verdict === 'FAIL') return gateFailed(c);
    return [{ code: 'verification_blocked', message: report.message, epoch: c.epoch }];
  }
  if (kind === 'task') return settled(c, e.outcome as TaskOutcome);
  return [];
}

/** Where a step that added these blockers ends (CONTRACT 5): null means "not in a terminal state". */
export function expectedEnding(step: StepRecord, added: Expected[]): string | null {
  const first = added[0];
  // The handoff is done once recorded; removing the run's worktree after it ends the run either way.
  if (!first) return step.event.variant === 'retire' || step.event.variant === 'retire:error' ? 'ready_for_manual_review' : null;
  if (first.code === 'plan_insufficient') return 'blocked_plan_insufficient';
  // The preflight's findings (a held branch included) end the run blocked_needs_human at intake.
  if (first.code === 'lock_conflict' && first.stage !== 'preflight') return 'blocked_lock_conflict';
  const role = (step.event as { outcome?: TaskOutcome }).outcome?.role;
  // KNOWN DEVIATION (reported): a `cancelled` settlement (code null) is blamed on cause worker_failed by
  // retryExhausted, but implementationFailed checks the code itself, so the run ends blocked_needs_human.
  const cancelled = (step.event as { outcome?: TaskOutcome }).outcome?.status === 'cancelled';
  if (first.code === 'retry_exhausted' && first.cause === 'worker_failed' && role === 'implementer' && !cancelled) return 'failed_execution';
  return 'blocked_needs_human';
}

/** The gate result a step must record, if it records one: verification from the report, review from the reviewer. */
export function expectedGate(step: StepRecord): { verification?: GateResult; review?: GateResult; findings?: unknown[] } | null {
  const c = step.prev.context as RunContext;
  const e = step.event as any;
  if (step.event.variant.startsWith('verification:') && step.event.variant !== 'verification:error') {
    const r = e.output as VerificationReport;
    return { verification: { epoch: r.epoch, verdict: r.verdict, findings: r.findings, message: r.message }, findings: r.findings };
  }
  const o = e.outcome as TaskOutcome | undefined;
  if (o && o.role === 'reviewer' && o.task_id === c.current?.task_id && o.status === 'completed' && o.decision === 'accepted') {
    return { review: { epoch: c.epoch, verdict: o.verdict ?? 'BLOCKED', findings: o.findings, message: o.summary }, findings: o.findings };
  }
  return null;
}
