import { and, not } from 'xstate';
import { runSetup } from './run-setup.ts';
import { initialContext } from './run-rules.ts';
import type { Role } from './types.ts';

export type { LeaseResult, RunEmitted, RunEvent } from './run-setup.ts';

const BLOCKED = '#run.blocked_needs_human';

/** Every stage first checks its role is configured, then spawns one worker-task child. */
const dispatching = (role: Role) => ({
  always: [
    { guard: { type: 'roleUnavailable', params: { role } }, target: BLOCKED, actions: { type: 'blockAdapterUnavailable', params: { role } } },
    { target: 'awaiting', actions: ['assignTask', 'spawnTask'] },
  ],
}) as const;

/** A stale settlement changes nothing; recorded as a duplicate. */
const ignoreStale = { guard: 'staleTask', actions: ['noteDuplicate', 'pruneTask'] } as const;

/**
 * How a stage treats a dispatch that gave no acceptable completion (CONTRACT 4): conflict and
 * blocked stop at once, the rest retry while budget remains; only an implementation that
 * itself failed ends failed_execution.
 */
const dispatchFailures = (role: Role) => [
  { guard: 'taskConflicted', target: BLOCKED, actions: ['pruneTask', { type: 'blockTask', params: { code: 'completion_conflict' } }] },
  { guard: 'taskBlocked', target: BLOCKED, actions: ['pruneTask', { type: 'blockTask', params: { code: 'worker_blocked' } }] },
  { guard: 'canRetry', target: 'dispatching', reenter: true, actions: ['pruneTask', 'planRetry'] },
  ...(role === 'implementer'
    ? [{ guard: 'implementationFailed', target: '#run.failed_execution', actions: ['pruneTask', 'blockRetryExhausted'] }] as const
    : []),
  { target: BLOCKED, actions: ['pruneTask', 'blockRetryExhausted'] },
] as const;


/** The run statechart: intake → lock → implementation → gates ⇄ fix loop → handoff. */
export const runMachine = runSetup.createMachine({
  id: 'run',
  context: ({ input }) => initialContext(input),
  initial: 'packet_received',
  on: {
    'task.settled': { actions: ['noteDuplicate', 'pruneTask'] },
    'run.cancel': { target: '.blocked_needs_human', actions: 'blockCancelled' },
  },
  states: {
    packet_received: {
      description: 'The packet is recorded; an insufficient one ends here with one blocker per missing item.',
      invoke: {
        id: 'intake',
        src: 'recordIntake',
        input: ({ context }) => ({ run_id: context.run_id }),
        onDone: [{ guard: 'planSufficient', target: 'queued' }, { target: 'blocked_plan_insufficient', actions: 'blockPlan' }],
      },
    },
    queued: {
      description: 'The workspace is prepared.',
      invoke: { id: 'workspace', src: 'prepareWorkspace', input: ({ context }) => ({ run_id: context.run_id }), onDone: 'waiting_for_lock' },
    },
    waiting_for_lock: {
      description: 'The workspace lease is taken; a live holder blocks the run.',
      invoke: {
        id: 'lease',
        src: 'acquireLease',
        input: ({ context }) => ({ run_id: context.run_id }),
        onDone: [{ guard: 'leaseGranted', target: 'running' }, { target: 'blocked_lock_conflict', actions: 'blockLease' }],
      },
    },
    running: {
      description: 'The implementer works; an accepted completion starts the first epoch of verification.',
      entry: { type: 'beginStage', params: { role: 'implementer' } },
      initial: 'dispatching',
      states: {
        dispatching: dispatching('implementer'),
        awaiting: {
          on: {
            'task.settled': [
              ignoreStale,
              { guard: 'taskAccepted', target: '#run.verification', actions: ['pruneTask', 'recordEvidence'] },
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
        awaiting: {
          on: {
            'task.settled': [
              ignoreStale,
              { guard: and(['taskAccepted', 'verdictPass']), target: '#run.handoff_ready', actions: ['pruneTask', 'recordReview'] },
              { guard: and(['taskAccepted', 'verdictFail', 'fixBudgetLeft']), target: '#run.fix_loop', actions: ['pruneTask', 'recordReview'] },
              { guard: and(['taskAccepted', 'verdictFail']), target: BLOCKED, actions: ['pruneTask', 'recordReview', 'blockFixBudget'] },
              { guard: 'taskAccepted', target: BLOCKED, actions: ['pruneTask', 'recordReview', 'blockReview'] },
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
        awaiting: {
          on: {
            'task.settled': [
              ignoreStale,
              { guard: 'taskAccepted', target: '#run.verification', actions: ['pruneTask', 'recordEvidence'] },
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
          always: [{ guard: not('gatesPassedForEpoch'), target: BLOCKED, actions: 'blockGatesMissing' }, { target: 'handing_off' }],
        },
        handing_off: {
          invoke: {
            id: 'handoff',
        src: 'performHandoff',
            input: ({ context }) => ({ run_id: context.run_id, epoch: context.epoch }),
            onDone: { target: '#run.ready_for_manual_review', actions: 'recordHandoff' },
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
