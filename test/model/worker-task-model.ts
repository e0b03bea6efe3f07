// The worker-task machine's model: WorkerRun payload variants, projection, generated paths, and the settlements it reports.
import { __unsafe_getAllOwnEventDescriptors as eventTypes, type AnyMachineSnapshot } from 'xstate';
import { workerTaskMachine, type WorkerTaskInput } from '../../machines/worker-task-machine.ts';
import type { AgentFacts, Role, TaskOutcome, TaskRef, WorkerRun } from '../../machines/types.ts';
import { generatePaths, replay, stepper, type ModelPath, type ModelSpec, type StepRecord, type Variant } from './model-kit.ts';

export const workerStepper = stepper(workerTaskMachine);

const DONE = 'xstate.done.actor.0.workerTask.dispatched';
const ERROR = 'xstate.error.actor.0.workerTask.dispatched';

const present = (taskId: string, extra: Record<string, unknown> = {}, exitCode: number | null = 0): WorkerRun => ({
  kind: 'exited', exitCode, signal: null,
  completion: { kind: 'present', completion: { task_id: taskId, status: 'completed', summary: 'did it', artifacts: [], findings: [], ...extra } as never },
});
const FINDING = { severity: 'error', message: 'the change misses a criterion', path: 'src/x.js' };

/** A preset agent's report (CONTRACT 4's table): read at t=1000; 0.5 USD unless the agent did not run. */
const agent = (kind: AgentFacts['kind'], extra: Partial<AgentFacts> = {}): AgentFacts => ({
  kind, message: kind, reset_at: null, observed_at: 1000, cost_usd: 0.5, turns: 1, session_id: 's-1', resumed_session: null, ...extra,
});
const withAgent = (run: WorkerRun, facts: AgentFacts): WorkerRun => (run.kind === 'exited' ? { ...run, agent: facts } : run);

/** The agent outcome variants: offered only to runs whose settings have agent bounds (see runEvents). */
export const AGENT_LABELS = new Set(['agent-success', 'agent-transient', 'agent-quota', 'agent-quota-far', 'agent-auth', 'agent-own-cap', 'agent-session-missing']);

/**
 * Everything a dispatch can observe, one variant each: every verdict, every completion status, conflict,
 * invalid, missing, non-zero exit (with and without a completion), a signal, a timeout, a start failure,
 * a lost process (watched, and unwatched: the driver went down with it). `mode` is the test/fixtures/worker.mjs mode that produces it for a real worker, if any.
 */
export function workerRuns(task: TaskRef): Array<{ label: string; mode: string | null; run: WorkerRun }> {
  const id = task.task_id;
  return [
    { label: 'completed', mode: task.role === 'reviewer' ? 'no-verdict' : 'ok', run: present(id) },
    { label: 'verdict-pass', mode: 'pass', run: present(id, { verdict: 'PASS' }) },
    { label: 'verdict-fail', mode: 'fail', run: present(id, { verdict: 'FAIL', findings: [FINDING] }) },
    { label: 'verdict-blocked', mode: 'review-blocked', run: present(id, { verdict: 'BLOCKED', summary: 'cannot judge' }) },
    { label: 'status-failed', mode: 'failed', run: present(id, { status: 'failed', summary: 'could not implement' }) },
    { label: 'status-blocked', mode: 'blocked', run: present(id, { status: 'blocked', summary: 'needs a decision' }) },
    { label: 'completed-blank', mode: null, run: present(id, { summary: '', verdict: 'PASS' }) },
    { label: 'status-failed-blank', mode: null, run: present(id, { status: 'failed', summary: '' }) },
    { label: 'status-blocked-blank', mode: null, run: present(id, { status: 'blocked', summary: '' }) },
    { label: 'conflict', mode: 'conflict', run: present('some-other-task') },
    { label: 'invalid', mode: 'invalid', run: { kind: 'exited', exitCode: 0, signal: null, completion: { kind: 'invalid', message: 'status: expected one of …' } } },
    { label: 'missing', mode: 'missing', run: { kind: 'exited', exitCode: 0, signal: null, completion: { kind: 'missing' } } },
    { label: 'exit-3', mode: 'exit3', run: { kind: 'exited', exitCode: 3, signal: null, completion: { kind: 'missing' } } },
    { label: 'exit-3-with-completion', mode: null, run: present(id, {}, 3) },
    { label: 'killed', mode: null, run: { kind: 'exited', exitCode: null, signal: 'SIGKILL', completion: { kind: 'missing' } } },
    { label: 'timeout', mode: 'hang', run: { kind: 'timed_out', timeoutMs: 1000 } },
    { label: 'start-failed', mode: null, run: { kind: 'start_failed', message: 'spawn ENOENT' } },
    { label: 'lost', mode: null, run: { kind: 'lost', message: 'the recorded worker process is gone and left no completion' } },
    { label: 'agent-success', mode: null, run: withAgent(present(id, task.role === 'reviewer' ? { verdict: 'PASS' } : {}), agent('success')) },
    { label: 'agent-transient', mode: null, run: withAgent(present(id, { status: 'failed', summary: 'overloaded' }), agent('transient')) },
    { label: 'agent-quota', mode: null, run: withAgent(present(id, { status: 'failed', summary: '429' }), agent('quota', { reset_at: 61_000, cost_usd: 0 })) },
    { label: 'agent-quota-far', mode: null, run: withAgent(present(id, { status: 'failed', summary: '429' }), agent('quota', { reset_at: 7 * 3600_000, cost_usd: 0 })) },
    { label: 'agent-auth', mode: null, run: withAgent(present(id, { status: 'failed', summary: 'Invalid API key' }), agent('auth', { cost_usd: 0 })) },
    { label: 'agent-own-cap', mode: null, run: withAgent(present(id, { status: 'failed', summary: 'error_max_turns' }), agent('own_cap')) },
    {
      label: 'agent-session-missing', mode: null,
      run: withAgent({ kind: 'exited', exitCode: 1, signal: null, completion: { kind: 'missing' } }, agent('session_missing', { cost_usd: null, session_id: null, resumed_session: 's-1' })),
    },
    { label: 'lost-unwatched', mode: null, run: { kind: 'lost', unwatched: true, message: 'its process ended while no driver was watching and left no completion' } },
  ];
}

/** Payload variants of every event the worker-task machine accepts in a state (unknown event types fail loudly). */
export function workerEvents(snapshot: AnyMachineSnapshot, drop: ReadonlySet<string> = new Set()): Variant[] {
  const task = (snapshot.context as WorkerTaskInput).task;
  const out: Variant[] = [];
  // A cancel can arrive in any state, whether or not the chart lists it there.
  for (const type of new Set([...eventTypes(snapshot), 'task.cancel'])) {
    if (type === DONE) out.push(...workerRuns(task).map((w) => ({ type, output: w.run, variant: `run:${w.label}` })));
    else if (type === ERROR) {
      out.push({ type, error: new Error('runWorker threw: EACCES'), variant: 'run:threw' });
      out.push({ type, error: undefined, variant: 'run:threw-nothing' }); // a promise rejected with no reason
    }
    else if (type === 'task.cancel') out.push({ type, variant: 'cancel' });
    else throw new Error(`no payload variants for worker-task event ${type}`);
  }
  return out.filter((v) => !drop.has(v.variant));
}

export const workerSpec = (drop?: ReadonlySet<string>): ModelSpec => ({
  project: (s) => {
    const c = s.context as any;
    return [s.status, s.value, c.run?.kind ?? null, c.decision, c.code];
  },
  events: (s) => workerEvents(s, drop),
});

/** The task refs the worker-task model is explored with: one per role (only the reviewer's verdict rule differs). */
export const WORKER_TASKS: TaskRef[] = (['implementer', 'fixer', 'reviewer'] as Role[]).map((role, i) => ({
  task_id: `t${i + 1}-${role}`, role, attempt: 1, epoch: 1, retry: 0,
}));

export const workerInput = (task: TaskRef): WorkerTaskInput => ({ run_id: 'r1', task, findings: [] });

/** All paths of the worker-task machine (it is acyclic, so simple paths are every path). */
export function workerPaths(drop?: ReadonlySet<string>): ModelPath[] {
  return WORKER_TASKS.flatMap((task) =>
    generatePaths(workerStepper, workerSpec(drop), workerStepper.initial(workerInput(task)), task.role, 'simple'));
}

/** The `task.settled` events a step sent to the parent. */
export const settledSent = (step: StepRecord): Array<{ type: 'task.settled'; outcome: TaskOutcome }> =>
  step.actions.filter((a) => a.type === 'xstate.sendTo' && a.params?.event?.type === 'task.settled').map((a) => a.params.event);

const settlementCache = new Map<string, Array<{ label: string; mode: string | null; outcome: TaskOutcome }>>();

/**
 * What the run machine can receive for one dispatch: the worker-task machine itself is stepped through every
 * variant and its reported outcome is taken, so run-model payloads are the worker-task machine's real judgements.
 * Outcomes that differ only in wording are kept once (the first label wins).
 */
export function settlementsFor(task: TaskRef): Array<{ label: string; mode: string | null; outcome: TaskOutcome }> {
  const cacheKey = JSON.stringify(task);
  const cached = settlementCache.get(cacheKey);
  if (cached) return cached;
  const start = workerStepper.initial(workerInput(task));
  const modes = new Map(workerRuns(task).map((w) => [`run:${w.label}`, w.mode]));
  const seen = new Set<string>();
  const result: Array<{ label: string; mode: string | null; outcome: TaskOutcome }> = [];
  for (const variant of workerEvents(start.snapshot)) {
    const steps = replay(workerStepper, workerSpec(), { scenario: task.role, start, events: [variant] });
    const sent = steps.flatMap(settledSent);
    if (sent.length !== 1) throw new Error(`worker-task ${variant.variant} reported ${sent.length} settlements`);
    const { message: _message, summary: _summary, ...facts } = sent[0]!.outcome;
    const key = JSON.stringify(facts);
    if (seen.has(key)) continue;
    seen.add(key);
    result.push({ label: variant.variant.replace(/^run:/, ''), mode: modes.get(variant.variant) ?? null, outcome: sent[0]!.outcome });
  }
  settlementCache.set(cacheKey, result);
  return result;
}
