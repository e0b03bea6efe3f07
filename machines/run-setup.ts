import { assign, emit, fromPromise, setup, spawnChild, stopChild } from 'xstate';
import { workerTaskMachine } from './worker-task-machine.ts';
import {
  deniedCommands, isRetryable, mayRedispatchInterrupted, nextTask, planBlockers, retryExhausted, taskBlocker,
  type RunContext, type RunInput,
} from './run-rules.ts';
import type { Blocker, GateResult, HandoffRecord, Role, TaskOutcome, VerificationReport } from './types.ts';
import { CLEAR_PREFLIGHT, preflightBlockers, type PreflightFacts } from './preflight-rules.ts';
import { NO_SECRETS, setupBlocker, setupFailed, secretsBlocker, type ScanReport, type SetupReport } from './workspace-rules.ts';
import {
  agentBlocker, agentKindIs, budgetBlocker, budgetLeft, budgetSpent, noteAgent, planPause, quotaBlocker, sessionFor,
} from './agent-rules.ts';

/** Events the run accepts from outside and from its worker-task children. */
export type RunEvent =
  | { type: 'task.settled'; outcome: TaskOutcome }
  | { type: 'run.cancel'; reason: string };

/** Events the run emits for observers (the journal): decisions that change no state. */
export type RunEmitted = { type: 'task.duplicate'; task_id: string; message: string };

/** What the lease actors report; `at` is when the conflict was seen (the machine keeps no clock). */
export type LeaseResult = { granted: true } | { granted: false; holder: string; message: string; at: number };

/** Blocker codes an effect that threw can end a run with. */
export type EffectFailureCode = 'adapter_unavailable' | 'verification_blocked' | 'workspace_setup_failed';

const errorText = (event: { type: string }) => {
  const error = (event as { error?: unknown }).error;
  return error instanceof Error ? error.message : String(error);
};


const outcomeOf = (event: { type: string }): TaskOutcome => (event as unknown as { outcome: TaskOutcome }).outcome;
const outputOf = <T>(event: { type: string }): T => (event as unknown as { output: T }).output;
const block = (context: RunContext, blocker: Blocker) => ({ blocker, blockers: [...context.blockers, blocker] });

/** The run machine's vocabulary: its types, effect slots, named guards and pure actions. */
export const runSetup = setup({
  types: {
    context: {} as RunContext,
    input: {} as RunInput,
    events: {} as RunEvent,
    emitted: {} as RunEmitted,
  },
  actors: {
    workerTask: workerTaskMachine,
    recordIntake: fromPromise<PreflightFacts, { run_id: string }>(async () => CLEAR_PREFLIGHT),
    prepareWorkspace: fromPromise<void, { run_id: string }>(async () => {}),
    acquireLease: fromPromise<LeaseResult, { run_id: string }>(async () => ({ granted: true })),
    awaitLease: fromPromise<LeaseResult, { run_id: string; until: number }>(async () => ({ granted: true })),
    runVerification: fromPromise<VerificationReport, { run_id: string; epoch: number; commands: string[] }>(async () => {
      throw new Error('runVerification is provided by actors/');
    }),
    performHandoff: fromPromise<HandoffRecord, { run_id: string; epoch: number }>(async () => {
      throw new Error('performHandoff is provided by actors/');
    }),
    retireWorkspace: fromPromise<void, { run_id: string }>(async () => {}),
    setUpWorkspace: fromPromise<SetupReport, { run_id: string }>(async () => ({ commands: [] })),
    scanChange: fromPromise<ScanReport, { run_id: string }>(async () => NO_SECRETS),
    // Sleeps until an absolute time in context (a restored run waits only for what remains).
    awaitAgentPause: fromPromise<void, { run_id: string; until: number }>(async () => {}),
  },
  guards: {
    planSufficient: ({ context }) => context.missing.length === 0,
    leaseGranted: ({ event }) => outputOf<LeaseResult>(event).granted,
    mayWaitForLease: ({ context }) => context.settings.lease_wait_ms > 0,
    preflightFails: ({ context, event }) => preflightBlockers(context.plan, context.settings, outputOf<PreflightFacts>(event)).length > 0,
    hasSetup: ({ context }) => context.settings.setup,
    setupFailed: ({ event }) => setupFailed(outputOf<SetupReport>(event)),
    handoffCommits: ({ context }) => context.settings.handoff.kind !== 'local',
    secretsInChange: ({ event }) => outputOf<ScanReport>(event).findings.length > 0,
    roleUnavailable: ({ context }, params: { role: Role }) => !context.settings.roles[params.role],
    staleTask: ({ context, event }) => outcomeOf(event).task_id !== context.current?.task_id,
    taskAccepted: ({ event }) => outcomeOf(event).status === 'completed' && outcomeOf(event).decision === 'accepted',
    taskConflicted: ({ event }) => outcomeOf(event).code === 'completion_conflict',
    taskBlocked: ({ event }) => outcomeOf(event).status === 'blocked',
    redispatchInterrupted: ({ context, event }) => mayRedispatchInterrupted(context, outcomeOf(event)),
    canRetry: ({ context, event }) =>
      isRetryable(outcomeOf(event)) && (context.current?.retry ?? 0) < context.settings.max_dispatch_retries,
    implementationFailed: ({ event }) => outcomeOf(event).code === 'worker_failed',
    verdictPass: ({ event }) => outcomeOf(event).verdict === 'PASS',
    verdictFail: ({ event }) => outcomeOf(event).verdict === 'FAIL',
    gatePass: ({ event }) => outputOf<GateResult>(event).verdict === 'PASS',
    gateFail: ({ event }) => outputOf<GateResult>(event).verdict === 'FAIL',
    fixBudgetLeft: ({ context }) => context.fix_attempts < context.settings.max_fix_attempts,
    evidenceForEpoch: ({ context }) => context.evidence?.epoch === context.epoch,
    commandsDenied: ({ context }) => deniedCommands(context).length > 0,
    budgetSpent: ({ context }) => budgetSpent(context),
    agentSessionMissing: ({ context, event }) =>
      agentKindIs(outcomeOf(event), 'session_missing') && outcomeOf(event).agent?.resumed_session != null && context.agent_session != null,
    agentMayPause: ({ context, event }) =>
      (agentKindIs(outcomeOf(event), 'transient') || agentKindIs(outcomeOf(event), 'quota')) && planPause(context, outcomeOf(event)).ok,
    agentPauseTooLong: ({ event }) => agentKindIs(outcomeOf(event), 'transient') || agentKindIs(outcomeOf(event), 'quota'),
    agentAuthFailed: ({ event }) => agentKindIs(outcomeOf(event), 'auth'),
    agentOwnCap: ({ event }) => agentKindIs(outcomeOf(event), 'own_cap'),
    gatesPassedForEpoch: ({ context }) =>
      context.verification?.epoch === context.epoch && context.verification.verdict === 'PASS' &&
      context.review?.epoch === context.epoch && context.review.verdict === 'PASS',
  },
  actions: {
    beginStage: assign(({ context }, params: { role: Role }) => {
      if (params.role === 'fixer') {
        return { fix_attempts: context.fix_attempts + 1, pending: { role: 'fixer' as const, attempt: context.fix_attempts + 1, retry: 0 } };
      }
      if (params.role === 'reviewer') {
        return { review_attempts: context.review_attempts + 1, pending: { role: 'reviewer' as const, attempt: context.review_attempts + 1, retry: 0 } };
      }
      return { pending: { role: 'implementer' as const, attempt: 1, retry: 0 } };
    }),
    assignTask: assign(({ context }) => {
      const task = nextTask(context);
      return { current: task, dispatches: context.dispatches + 1 };
    }),
    spawnTask: spawnChild('workerTask', {
      id: ({ context }) => `task:${context.current?.task_id}`,
      input: ({ context }) => ({
        run_id: context.run_id, task: context.current!, findings: context.findings,
        budget_usd: budgetLeft(context), resume_session: sessionFor(context),
      }),
    }),
    noteAgent: assign(({ context, event }) => noteAgent(context, outcomeOf(event))),
    dropSession: assign({ agent_session: null }),
    startPause: assign(({ context, event }) => {
      const plan = planPause(context, outcomeOf(event));
      return { agent_pause: plan.ok ? plan.pause : null };
    }),
    blockQuota: assign(({ context, event }) => {
      const plan = planPause(context, outcomeOf(event));
      const blocker = plan.ok ? quotaBlocker(context, outcomeOf(event), plan.pause.until, plan.pause.reason) : quotaBlocker(context, outcomeOf(event), plan.not_before, plan.reason);
      return { ...block(context, blocker), agent_pause: null };
    }),
    blockAgentAuth: assign(({ context, event }) => block(context, agentBlocker(context, outcomeOf(event), 'agent_auth_failed'))),
    blockAgentLimit: assign(({ context, event }) => block(context, agentBlocker(context, outcomeOf(event), 'agent_limit_reached'))),
    blockBudget: assign(({ context }) => block(context, budgetBlocker(context))),
    pruneTask: stopChild(({ event }) => `task:${outcomeOf(event).task_id}`),
    planRetry: assign(({ context }) => ({
      pending: context.pending ? { ...context.pending, retry: context.pending.retry + 1 } : null,
    })),
    // The same retry of the same attempt, under a new task id; only the interruption is counted.
    noteInterruption: assign(({ context }) => ({ interruptions: (context.interruptions ?? 0) + 1 })),
    recordEvidence: assign(({ event, context }) => ({
      evidence: { task_id: outcomeOf(event).task_id, epoch: context.current?.epoch ?? context.epoch + 1 },
      current: null,
    })),
    recordReview: assign(({ context, event }) => {
      const outcome = outcomeOf(event);
      const review: GateResult = {
        epoch: context.epoch, verdict: outcome.verdict ?? 'BLOCKED', findings: outcome.findings, message: outcome.summary,
      };
      return { review, findings: outcome.findings, current: null };
    }),
    recordVerification: assign(({ event }) => {
      const report = outputOf<VerificationReport>(event);
      return {
        verification: { epoch: report.epoch, verdict: report.verdict, findings: report.findings, message: report.message },
        findings: report.findings,
      };
    }),
    recordHandoff: assign({ handoff: ({ event }) => outputOf<HandoffRecord>(event) }),
    startEpoch: assign({ epoch: ({ context }) => context.epoch + 1 }),
    noteDuplicate: emit(({ event }) => ({
      type: 'task.duplicate' as const,
      task_id: outcomeOf(event).task_id,
      message: `a completion for task ${outcomeOf(event).task_id}, which is not the current task, was recorded and ignored`,
    })),
    blockPlan: assign(({ context }) => {
      const blockers = planBlockers(context.missing);
      return { blocker: blockers[0] ?? null, blockers: [...context.blockers, ...blockers] };
    }),
    startLeaseWait: assign(({ context, event }) => {
      const lease = outputOf<LeaseResult>(event);
      return { lease_wait_until: (lease.granted ? 0 : lease.at) + context.settings.lease_wait_ms };
    }),
    blockLease: assign(({ context, event }) => {
      const lease = outputOf<LeaseResult>(event);
      const waited = context.lease_wait_until === null ? '' : ` (waited lease.wait_ms = ${context.settings.lease_wait_ms} ms)`;
      return block(context, {
        code: 'lock_conflict', message: `${lease.granted ? 'lease conflict' : lease.message}${waited}`, ...(lease.granted ? {} : { run_ref: lease.holder }),
      });
    }),
    blockPreflight: assign(({ context, event }) => {
      const found = preflightBlockers(context.plan, context.settings, outputOf<PreflightFacts>(event));
      return { blocker: found[0] ?? null, blockers: [...context.blockers, ...found] };
    }),
    blockSetup: assign(({ context, event }) => block(context, setupBlocker(outputOf<SetupReport>(event)))),
    blockSecrets: assign(({ context, event }) => block(context, { ...secretsBlocker(outputOf<ScanReport>(event)), epoch: context.epoch })),
    blockEffect: assign(({ context, event }, params: { code: EffectFailureCode; stage: string }) =>
      block(context, {
        code: params.code, message: `${params.stage} failed: ${errorText(event)}`, stage: params.stage, ...(context.epoch > 0 ? { epoch: context.epoch } : {}),
      })),
    blockAdapterUnavailable: assign(({ context }, params: { role: Role }) =>
      block(context, {
        code: 'adapter_unavailable',
        message: `no ${params.role} worker is configured: add workers.${params.role} (a "command" or a "preset") to the config`,
      })),
    blockTask: assign(({ context, event }, params: { code: 'completion_conflict' | 'worker_blocked' }) =>
      block(context, taskBlocker(params.code, outcomeOf(event), context.current))),
    blockRetryExhausted: assign(({ context, event }) => block(context, retryExhausted(context, outcomeOf(event)))),
    blockReview: assign(({ context, event }) =>
      block(context, taskBlocker('review_blocked', outcomeOf(event), context.current, {
        message: `the reviewer returned BLOCKED: ${outcomeOf(event).summary}`,
      }))),
    blockFixBudget: assign(({ context }) =>
      block(context, {
        code: 'fix_budget_exhausted',
        message: `a gate failed again after ${context.fix_attempts} of ${context.settings.max_fix_attempts} fix attempt(s)`,
        epoch: context.epoch,
      })),
    blockVerification: assign(({ context, event }) =>
      block(context, { code: 'verification_blocked', message: outputOf<GateResult>(event).message, epoch: context.epoch })),
    blockPolicy: assign(({ context }) =>
      block(context, {
        code: 'policy_denied',
        message: `verification command(s) not in verification.allowed_commands: ${deniedCommands(context).map((c) => JSON.stringify(c)).join(', ')}`,
        epoch: context.epoch,
      })),
    blockNoEvidence: assign(({ context }) =>
      block(context, { code: 'completion_missing', message: 'verification needs an accepted completion of this epoch', epoch: context.epoch })),
    blockGatesMissing: assign(({ context }) =>
      block(context, { code: 'verification_blocked', message: 'handoff needs verification PASS and review PASS of this epoch', epoch: context.epoch })),
    blockCancelled: assign(({ context, event }) =>
      block(context, { code: 'cancelled', message: (event as { reason?: string }).reason ?? 'cancelled', epoch: context.epoch })),
  },
});
