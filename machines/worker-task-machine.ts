import { assign, fromPromise, sendParent, setup } from 'xstate';
import type { CompletionDecision, DispatchFailure, Finding, TaskOutcome, TaskRef, WorkerRun } from './types.ts';

/** What a worker-task actor is spawned with: the dispatch and the findings it is to address. */
export interface WorkerTaskInput {
  run_id: string;
  task: TaskRef;
  findings: Finding[];
  /** What the run may still spend (USD): a preset agent is capped to it; null = no budget. */
  budget_usd?: number | null;
  /** A fixer's agent session to continue (Claude --resume, Codex exec resume), if any. */
  resume_session?: string | null;
}

interface WorkerTaskContext extends WorkerTaskInput {
  run: WorkerRun | null;
  decision: CompletionDecision;
  code: DispatchFailure | null;
  message: string;
}

type WorkerTaskEvent = { type: 'task.cancel' };

const completionOf = (run: WorkerRun | null) =>
  run?.kind === 'exited' && run.completion.kind === 'present' ? run.completion.completion : null;

/**
 * One dispatch of one worker: created → dispatched → completed / failed / blocked /
 * timed_out / cancelled. It only judges what the dispatch adapter observed; the run
 * machine decides what the judgement means for the run (retry, block, move on).
 */
export const workerTaskMachine = setup({
  types: {
    context: {} as WorkerTaskContext,
    input: {} as WorkerTaskInput,
    events: {} as WorkerTaskEvent,
  },
  actors: {
    // Implemented in actors/: starts the worker, or adopts/ingests what a previous
    // driver left (restored children re-run with their saved input).
    runWorker: fromPromise<WorkerRun, WorkerTaskInput>(async () => {
      throw new Error('runWorker is provided by actors/');
    }),
  },
  guards: {
    timedOut: ({ context }) => context.run?.kind === 'timed_out',
    startFailed: ({ context }) => context.run?.kind === 'start_failed',
    lost: ({ context }) => context.run?.kind === 'lost',
    lostUnwatched: ({ context }) => context.run?.kind === 'lost' && context.run.unwatched === true,
    completionConflicts: ({ context }) => {
      const c = completionOf(context.run);
      return c !== null && c.task_id !== context.task.task_id;
    },
    completionInvalid: ({ context }) => context.run?.kind === 'exited' && context.run.completion.kind === 'invalid',
    completionMissing: ({ context }) => context.run?.kind === 'exited' && context.run.completion.kind === 'missing',
    reportsBlocked: ({ context }) => completionOf(context.run)?.status === 'blocked',
    reportsFailed: ({ context }) => completionOf(context.run)?.status === 'failed',
    // Only an exit this driver saw counts, and not an agent's that left a completion: its stream,
    // not its exit code, says how it ended (the two have disagreed).
    exitedNonZero: ({ context }) => {
      const run = context.run;
      if (run?.kind !== 'exited' || run.unobserved === true) return false;
      if (run.agent !== undefined && run.completion.kind !== 'missing') return false;
      return run.exitCode !== 0;
    },
    reviewerWithoutVerdict: ({ context }) =>
      context.task.role === 'reviewer' && completionOf(context.run)?.verdict === undefined,
  },
  actions: {
    judge: assign((_, params: { decision: CompletionDecision; code: DispatchFailure | null }) => ({
      decision: params.decision,
      code: params.code,
    })),
    explain: assign(({ context }) => ({ message: describe(context) })),
    report: sendParent(({ context }, params: { status: TaskOutcome['status'] }): { type: 'task.settled'; outcome: TaskOutcome } => ({
      type: 'task.settled',
      outcome: toOutcome(context, params.status),
    })),
  },
}).createMachine({
  id: 'workerTask',
  context: ({ input }) => ({ ...input, run: null, decision: 'none', code: null, message: '' }),
  initial: 'created',
  on: { 'task.cancel': '.cancelled' },
  states: {
    created: { always: 'dispatched' },
    dispatched: {
      description: 'The worker process runs (or a previous one is adopted); its completion is read when it exits.',
      invoke: {
        src: 'runWorker',
        input: ({ context }) => ({
          run_id: context.run_id, task: context.task, findings: context.findings,
          budget_usd: context.budget_usd ?? null, resume_session: context.resume_session ?? null,
        }),
        onDone: {
          target: 'judging',
          actions: assign({ run: ({ event }) => event.output }),
        },
        onError: {
          target: 'failed',
          actions: [
            assign({ run: ({ event }) => ({ kind: 'start_failed', message: String((event.error as Error)?.message ?? event.error) }) }),
            { type: 'judge', params: { decision: 'none', code: 'worker_failed' } },
          ],
        },
      },
    },
    judging: {
      description: 'Decides accepted / conflict / invalid / missing from what the dispatch observed.',
      always: [
        { guard: 'timedOut', target: 'timed_out', actions: { type: 'judge', params: { decision: 'none', code: 'worker_timeout' } } },
        { guard: 'startFailed', target: 'failed', actions: { type: 'judge', params: { decision: 'none', code: 'worker_failed' } } },
        // No completion and no driver saw it end: the run decides whether that costs a retry.
        { guard: 'lostUnwatched', target: 'interrupted', actions: { type: 'judge', params: { decision: 'none', code: 'completion_missing' } } },
        { guard: 'lost', target: 'failed', actions: { type: 'judge', params: { decision: 'none', code: 'completion_missing' } } },
        { guard: 'completionConflicts', target: 'failed', actions: { type: 'judge', params: { decision: 'conflict', code: 'completion_conflict' } } },
        { guard: 'completionInvalid', target: 'failed', actions: { type: 'judge', params: { decision: 'invalid', code: 'completion_invalid' } } },
        { guard: 'reportsBlocked', target: 'blocked', actions: { type: 'judge', params: { decision: 'accepted', code: 'worker_blocked' } } },
        { guard: 'reportsFailed', target: 'failed', actions: { type: 'judge', params: { decision: 'accepted', code: 'worker_failed' } } },
        { guard: 'exitedNonZero', target: 'failed', actions: { type: 'judge', params: { decision: 'none', code: 'worker_failed' } } },
        { guard: 'completionMissing', target: 'failed', actions: { type: 'judge', params: { decision: 'none', code: 'completion_missing' } } },
        { guard: 'reviewerWithoutVerdict', target: 'failed', actions: { type: 'judge', params: { decision: 'invalid', code: 'completion_invalid' } } },
        { target: 'completed', actions: { type: 'judge', params: { decision: 'accepted', code: null } } },
      ],
    },
    completed: { type: 'final', entry: ['explain', { type: 'report', params: { status: 'completed' } }] },
    failed: { type: 'final', entry: ['explain', { type: 'report', params: { status: 'failed' } }] },
    blocked: { type: 'final', entry: ['explain', { type: 'report', params: { status: 'blocked' } }] },
    timed_out: { type: 'final', entry: ['explain', { type: 'report', params: { status: 'timed_out' } }] },
    cancelled: { type: 'final', entry: ['explain', { type: 'report', params: { status: 'cancelled' } }] },
    interrupted: {
      type: 'final',
      description: 'The process ended while no driver watched it and left no completion: an interruption, not evidence about the work.',
      entry: ['explain', { type: 'report', params: { status: 'interrupted' } }],
    },
  },
});

const AGENT_WORDS: Partial<Record<string, string>> = {
  transient: 'a transient API failure', quota: 'a quota or rate limit', auth: 'refused credentials',
  own_cap: 'its own turn or budget cap', session_missing: 'that the session to continue was not found',
};

function describe(context: WorkerTaskContext): string {
  const run = context.run;
  const who = `${context.task.role} task ${context.task.task_id}`;
  if (run === null) return `${who} was cancelled before it finished`;
  const agentWords = run.kind === 'exited' && run.agent ? AGENT_WORDS[run.agent.kind] : undefined;
  if (agentWords !== undefined && run.kind === 'exited') return `${who}: the agent reported ${agentWords}${run.agent?.message ? ` (${run.agent.message})` : ''}`;
  switch (context.code) {
    case null: return `${who} completed: ${completionOf(run)?.summary ?? ''}`.trim();
    case 'worker_timeout':
      return run.kind === 'timed_out' && run.idleMs !== undefined
        ? `${who} printed nothing for ${run.idleMs} ms (idle_timeout_ms) and was killed with its process group`
        : `${who} ran past its timeout and was killed with its process group`;
    case 'completion_conflict': return `${who}: the completion file names task ${completionOf(run)?.task_id}, not ${context.task.task_id}`;
    case 'completion_invalid':
      return run.kind === 'exited' && run.completion.kind === 'invalid'
        ? `${who} wrote an invalid completion: ${run.completion.message}`
        : `${who}: a reviewer completion needs a verdict (PASS, FAIL or BLOCKED)`;
    case 'completion_missing':
      return run.kind === 'lost' ? `${who}: ${run.message}` : `${who} exited without writing its completion file`;
    case 'worker_blocked': return `${who} reported blocked: ${completionOf(run)?.summary ?? ''}`.trim();
    case 'worker_failed':
      if (run.kind === 'start_failed') return `${who} could not start: ${run.message}`;
      if (completionOf(run)?.status === 'failed') return `${who} reported failed: ${completionOf(run)?.summary ?? ''}`.trim();
      return `${who} exited with ${run.kind === 'exited' ? (run.signal ?? `code ${run.exitCode}`) : 'an error'}`;
  }
}

function toOutcome(context: WorkerTaskContext, status: TaskOutcome['status']): TaskOutcome {
  const completion = completionOf(context.run);
  return {
    task_id: context.task.task_id,
    role: context.task.role,
    status,
    decision: context.decision,
    code: context.code,
    message: context.message,
    summary: completion?.summary ?? '',
    verdict: completion?.verdict ?? null,
    findings: completion?.findings ?? [],
    agent: context.run?.kind === 'exited' ? (context.run.agent ?? null) : null,
  };
}
