import { and, not } from 'xstate';
import { runSetup } from './run-setup.ts';
import { initialContext } from './run-rules.ts';
import type { Role } from './types.ts';
import type { EffectFailureCode } from './run-setup.ts';

export type { LeaseResult, RunEmitted, RunEvent } from './run-setup.ts';

const BLOCKED = '#run.blocked_needs_human';

/** Every stage first checks its role is configured and the run's budget, then spawns one worker-task child. */
const dispatching = (role: Role) => ({
  always: [
    { guard: { type: 'roleUnavailable', params: { role } }, target: BLOCKED, actions: { type: 'blockAdapterUnavailable', params: { role } } },
    // CONTRACT 4: limits.max_cost_usd is checked before each dispatch.
    { guard: 'budgetSpent', target: BLOCKED, actions: 'blockBudget' },
    { target: 'awaiting', actions: ['assignTask', 'spawnTask'] },
  ],
}) as const;

/** An effect that threw: the run stops with a blocker naming the stage and the error, never an internal error. */
const effectFailed = (code: EffectFailureCode, stage: string) =>
  ({ target: BLOCKED, actions: { type: 'blockEffect', params: { code, stage } } }) as const;

/** A step that runs one effect, then stops the run on what the effect found or goes on to `next`. */
const checkedEffect = <const Src extends string, const Guard extends string, const Block extends string, const Next extends string>(step: {
  description: string; id: string; src: Src; found: Guard; block: Block; next: Next; code: EffectFailureCode; stage: string;
}) => ({
  description: step.description,
  invoke: {
    id: step.id,
    src: step.src,
    input: ({ context }: { context: { run_id: string } }) => ({ run_id: context.run_id }),
    onDone: [{ guard: step.found, target: BLOCKED, actions: step.block }, { target: step.next }],
    onError: effectFailed(step.code, step.stage),
  },
}) as const;

/** A stale settlement changes nothing but the cost it reports; recorded as a duplicate. */
const ignoreStale = { guard: 'staleTask', actions: ['noteAgent', 'noteDuplicate', 'pruneTask'] } as const;

/**
 * A preset agent's own report decides before the completion does (CONTRACT 4's table): a session
 * it could not find is started afresh, an outage or a quota pauses the stage (no retry spent) or
 * stops the run, refused credentials and the agent's own cap stop it at once.
 */
const agentOutcomes = [
  { guard: 'agentSessionMissing', target: 'dispatching', reenter: true, actions: ['noteAgent', 'pruneTask', 'dropSession'] },
  { guard: 'agentMayPause', target: 'agent_pause', actions: ['noteAgent', 'pruneTask', 'startPause'] },
  { guard: 'agentPauseTooLong', target: BLOCKED, actions: ['noteAgent', 'pruneTask', 'blockQuota'] },
  { guard: 'agentAuthFailed', target: BLOCKED, actions: ['noteAgent', 'pruneTask', 'blockAgentAuth'] },
  { guard: 'agentOwnCap', target: BLOCKED, actions: ['noteAgent', 'pruneTask', 'blockAgentLimit'] },
] as const;

/** Waits out an agent outage or quota until the absolute time in context, then dispatches again. */
const agentPause = {
  description: 'The agent reported an outage or a quota: the stage waits until context.agent_pause.until (no retry spent), then dispatches again.',
  invoke: {
    id: 'agentPause',
    src: 'awaitAgentPause',
    input: ({ context }: { context: { run_id: string; agent_pause?: { until: number } | null } }) =>
      ({ run_id: context.run_id, until: context.agent_pause?.until ?? 0 }),
    onDone: { target: 'dispatching' },
    onError: effectFailed('adapter_unavailable', 'waiting for the agent'),
  },
} as const;


/**
 * How a stage treats a dispatch that gave no acceptable completion (CONTRACT 4): conflict and
 * blocked stop at once, the rest retry while budget remains; only an implementation that
 * itself failed ends failed_execution.
 */
const dispatchFailures = (role: Role) => [
  // A process that ended with no driver watching is an interruption, dispatched again without spending a retry (bounded).
  { guard: 'redispatchInterrupted', target: 'dispatching', reenter: true, actions: ['noteAgent', 'pruneTask', 'noteInterruption'] },
  { guard: 'taskConflicted', target: BLOCKED, actions: ['noteAgent', 'pruneTask', { type: 'blockTask', params: { code: 'completion_conflict' } }] },
  { guard: 'taskBlocked', target: BLOCKED, actions: ['noteAgent', 'pruneTask', { type: 'blockTask', params: { code: 'worker_blocked' } }] },
  { guard: 'canRetry', target: 'dispatching', reenter: true, actions: ['noteAgent', 'pruneTask', 'planRetry'] },
  ...(role === 'implementer'
    ? [{ guard: 'implementationFailed', target: '#run.failed_execution', actions: ['noteAgent', 'pruneTask', 'blockRetryExhausted'] }] as const
    : []),
  { target: BLOCKED, actions: ['noteAgent', 'pruneTask', 'blockRetryExhausted'] },
] as const;


/** The run statechart: intake → lock → implementation → gates ⇄ fix loop → handoff. */
export const runMachine = runSetup.createMachine({
  id: 'run',
  context: ({ input }) => initialContext(input),
  initial: 'packet_received',
  on: {
    'task.settled': { actions: ['noteAgent', 'noteDuplicate', 'pruneTask'] },
    'run.cancel': { target: '.blocked_needs_human', actions: 'blockCancelled' },
  },
  states: {
    packet_received: {
      description: 'The packet is recorded and the preflight checks what can be known before any worker is paid for; an insufficient packet or a failed check ends here, one blocker per problem.',
      invoke: {
        id: 'intake',
        src: 'recordIntake',
        input: ({ context }) => ({ run_id: context.run_id }),
        onDone: [
          { guard: not('planSufficient'), target: 'blocked_plan_insufficient', actions: 'blockPlan' },
          // What would stop the run later is refused now, before any worker is paid for.
          { guard: 'preflightFails', target: 'blocked_needs_human', actions: 'blockPreflight' },
          { target: 'queued' },
        ],
        onError: effectFailed('adapter_unavailable', 'recording the intake'),
      },
    },
    queued: {
      description: 'The workspace is prepared: a git worktree of its own when the run has a repo.',
      invoke: {
        id: 'workspace',
        src: 'prepareWorkspace',
        input: ({ context }) => ({ run_id: context.run_id }),
        onDone: 'waiting_for_lock',
        onError: effectFailed('adapter_unavailable', 'preparing the workspace'),
      },
    },
    waiting_for_lock: {
      description: 'Every lease of the run is taken at once; a live holder is waited for up to lease.wait_ms, then blocks the run.',
      initial: 'acquiring',
      states: {
        acquiring: {
          invoke: {
            id: 'lease',
            src: 'acquireLease',
            input: ({ context }) => ({ run_id: context.run_id }),
            onDone: [
              { guard: 'leaseGranted', target: '#run.running' },
              { guard: 'mayWaitForLease', target: 'waiting', actions: 'startLeaseWait' },
              { target: '#run.blocked_lock_conflict', actions: 'blockLease' },
            ],
            onError: effectFailed('adapter_unavailable', 'taking the leases'),
          },
        },
        waiting: {
          // The deadline is an absolute time in context: a restored run waits only for what remains.
          invoke: {
            id: 'leaseWait',
            src: 'awaitLease',
            input: ({ context }) => ({ run_id: context.run_id, until: context.lease_wait_until ?? 0 }),
            onDone: [
              { guard: 'leaseGranted', target: '#run.running' },
              { target: '#run.blocked_lock_conflict', actions: 'blockLease' },
            ],
            onError: effectFailed('adapter_unavailable', 'waiting for the leases'),
          },
        },
      },
    },
    running: {
      description: 'The implementer works; an accepted completion starts the first epoch of verification.',
      entry: { type: 'beginStage', params: { role: 'implementer' } },
      initial: 'preparing',
      states: {
        preparing: {
          always: [
            { guard: 'hasSetup', target: 'setting_up' },
            { target: 'dispatching' },
          ],
        },
        setting_up: checkedEffect({
          description: 'workspace.setup commands run once in the workspace before the first worker (dependencies, generated files).',
          id: 'setup', src: 'setUpWorkspace', found: 'setupFailed', block: 'blockSetup', next: 'dispatching',
          code: 'workspace_setup_failed', stage: 'setting up the workspace',
        }),
        dispatching: dispatching('implementer'),
        agent_pause: agentPause,
        awaiting: {
          on: {
            'task.settled': [
              ignoreStale,
              ...agentOutcomes,
              { guard: 'taskAccepted', target: '#run.verification', actions: ['noteAgent', 'pruneTask', 'recordEvidence'] },
              ...dispatchFailures('implementer'),
            ],
          },
        },
      },
    },
    verification: {
      description: 'A new epoch: the packet\'s allowed commands run in order on the accepted evidence of this epoch.',
      entry: 'startEpoch',
      initial: 'checking',
      states: {
        checking: {
          always: [
            { guard: not('evidenceForEpoch'), target: BLOCKED, actions: 'blockNoEvidence' },
            { guard: 'commandsDenied', target: BLOCKED, actions: 'blockPolicy' },
            { target: 'running_commands' },
          ],
        },
        running_commands: {
          invoke: {
            id: 'verification',
            src: 'runVerification',
            input: ({ context }) => ({ run_id: context.run_id, epoch: context.epoch, commands: context.plan.verification_commands }),
            onDone: [
              { guard: 'gatePass', target: '#run.internal_review', actions: 'recordVerification' },
              { guard: and(['gateFail', 'fixBudgetLeft']), target: '#run.fix_loop', actions: 'recordVerification' },
              { guard: 'gateFail', target: BLOCKED, actions: ['recordVerification', 'blockFixBudget'] },
              { target: BLOCKED, actions: ['recordVerification', 'blockVerification'] },
            ],
            onError: effectFailed('verification_blocked', 'running verification'),
          },
        },
      },
    },
    internal_review: {
      description: 'The reviewer judges this epoch\'s change: PASS hands off, FAIL enters the fix loop while budget remains.',
      entry: { type: 'beginStage', params: { role: 'reviewer' } },
      initial: 'dispatching',
      states: {
        dispatching: dispatching('reviewer'),
        agent_pause: agentPause,
        awaiting: {
          on: {
            'task.settled': [
              ignoreStale,
              ...agentOutcomes,
              { guard: and(['taskAccepted', 'verdictPass']), target: '#run.handoff_ready', actions: ['noteAgent', 'pruneTask', 'recordReview'] },
              { guard: and(['taskAccepted', 'verdictFail', 'fixBudgetLeft']), target: '#run.fix_loop', actions: ['noteAgent', 'pruneTask', 'recordReview'] },
              { guard: and(['taskAccepted', 'verdictFail']), target: BLOCKED, actions: ['noteAgent', 'pruneTask', 'recordReview', 'blockFixBudget'] },
              { guard: 'taskAccepted', target: BLOCKED, actions: ['noteAgent', 'pruneTask', 'blockReview', 'recordReview'] },
              ...dispatchFailures('reviewer'),
            ],
          },
        },
      },
    },
    fix_loop: {
      description: 'The fixer works on the failed gate\'s findings; an accepted fix starts the next epoch.',
      entry: { type: 'beginStage', params: { role: 'fixer' } },
      initial: 'dispatching',
      states: {
        dispatching: dispatching('fixer'),
        agent_pause: agentPause,
        awaiting: {
          on: {
            'task.settled': [
              ignoreStale,
              ...agentOutcomes,
              { guard: 'taskAccepted', target: '#run.verification', actions: ['noteAgent', 'pruneTask', 'recordEvidence'] },
              ...dispatchFailures('fixer'),
            ],
          },
        },
      },
    },
    handoff_ready: {
      description: 'Both gates passed this epoch: the handoff is performed idempotently and recorded.',
      initial: 'checking',
      states: {
        checking: {
          always: [
            { guard: not('gatesPassedForEpoch'), target: BLOCKED, actions: 'blockGatesMissing' },
            { guard: 'handoffCommits', target: 'scanning' },
            { target: 'handing_off' },
          ],
        },
        scanning: checkedEffect({
          description: 'Before anything is committed or pushed, the change is scanned for secrets: a hit stops the run with nothing committed.',
          id: 'scan', src: 'scanChange', found: 'secretsInChange', block: 'blockSecrets', next: 'handing_off',
          code: 'adapter_unavailable', stage: 'scanning the change for secrets',
        }),
        handing_off: {
          invoke: {
            id: 'handoff',
            src: 'performHandoff',
            input: ({ context }) => ({ run_id: context.run_id, epoch: context.epoch }),
            onDone: { target: 'retiring_workspace', actions: 'recordHandoff' },
            onError: effectFailed('adapter_unavailable', 'handing off'),
          },
        },
        retiring_workspace: {
          // CONTRACT 8: a run's own worktree is kept until handoff. Cleanup that fails leaves it
          // for `buran clean`; the handoff is done either way.
          description: 'The run\'s own worktree (if it has one) is removed: the change is in the handoff now.',
          invoke: {
            id: 'retire',
            src: 'retireWorkspace',
            input: ({ context }) => ({ run_id: context.run_id }),
            onDone: '#run.ready_for_manual_review',
            onError: '#run.ready_for_manual_review',
          },
        },
      },
    },
    ready_for_manual_review: { type: 'final', tags: ['terminal'] },
    blocked_plan_insufficient: { type: 'final', tags: ['terminal', 'blocked'] },
    blocked_lock_conflict: { type: 'final', tags: ['terminal', 'blocked'] },
    blocked_needs_human: { type: 'final', tags: ['terminal', 'blocked'] },
    failed_execution: { type: 'final', tags: ['terminal'] },
  },
});

export { RUN_STATES, TERMINAL_STATES, type RunState } from './states.ts';
