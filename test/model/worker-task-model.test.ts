// Model-based tests of the worker-task machine: every path, every state and transition, one honest report per task, persistence.
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createActor } from 'xstate';
import { workerTaskMachine } from '../../machines/worker-task-machine.ts';
import type { TaskOutcome } from '../../machines/types.ts';
import { coverage, replayAll, snapshotFacts, type ModelPath, type StepRecord } from './model-kit.ts';
import { settledSent, settlementsFor, WORKER_TASKS, workerPaths, workerSpec, workerStepper } from './worker-task-model.ts';

// Built once in beforeAll, not at import: a machine that breaks generation then fails every test (model() rethrows)
// instead of failing the file's collection (which mutation testing would not count as a failure).
let built: { paths: ModelPath[]; runs: StepRecord[][] } | undefined;
let failure: unknown;
beforeAll(() => {
  try {
    const paths = workerPaths();
    built = { paths, runs: replayAll(workerStepper, workerSpec(), paths) };
  } catch (error) {
    failure = error;
  }
});
const model = () => {
  if (!built) throw failure;
  return built;
};
const where = (i: number) => `${model().paths[i]!.scenario}: ${model().paths[i]!.events.map((e) => e.variant).join(' → ')}`;

/** What each final state must report, judged only from what the dispatch observed. */
function outcomeViolations(state: string, outcome: TaskOutcome, steps: StepRecord[]): string[] {
  const v: string[] = [];
  const task = (steps[0]!.prev.context as any).task;
  const run = (steps.at(-1)!.next.context as any).run;
  const completion = run?.kind === 'exited' && run.completion.kind === 'present' ? run.completion.completion : null;
  if (outcome.status !== state) v.push(`final state ${state} reported status ${outcome.status}`);
  if (outcome.task_id !== task.task_id || outcome.role !== task.role) v.push(`reported for ${outcome.task_id}/${outcome.role}`);
  if (outcome.message.trim() === '') v.push('reported without a message');
  if (outcome.decision === 'accepted' && completion?.task_id !== task.task_id) v.push('accepted a completion that is not this task\'s');
  if (outcome.decision === 'accepted' && run?.exitCode !== 0) v.push('accepted the completion of a worker that did not exit 0');
  const expected: Record<string, (o: TaskOutcome) => boolean> = {
    completed: (o) => o.decision === 'accepted' && o.code === null && (task.role !== 'reviewer' || o.verdict !== null),
    blocked: (o) => o.decision === 'accepted' && o.code === 'worker_blocked',
    timed_out: (o) => o.decision === 'none' && o.code === 'worker_timeout',
    failed: (o) => ['completion_missing', 'completion_invalid', 'completion_conflict', 'worker_failed'].includes(o.code ?? ''),
    cancelled: (o) => o.code === null && o.decision === 'none',
    // No driver watched the process end: no evidence about the work; completion_missing if the run counts it.
    interrupted: (o) => o.decision === 'none' && o.code === 'completion_missing',
  };
  if (!expected[state]?.(outcome)) v.push(`${state} reported ${JSON.stringify({ decision: outcome.decision, code: outcome.code, verdict: outcome.verdict })}`);
  return v;
}

describe('worker-task machine model (every path)', () => {
  it('reaches every state and every transition of machineGraph(workerTaskMachine)', ({ task }) => {
    const { paths, runs } = model();
    const cov = coverage(workerTaskMachine, paths, runs);
    task.meta.model = { machine: 'workerTask', states: cov.states.total, reached: cov.states.reached, transitions: cov.edges.total, covered: cov.edges.covered, paths: paths.length };
    expect(cov.states.missing, 'states no generated path reaches').toEqual([]);
    expect(cov.edges.missing, 'transitions no generated path takes').toEqual([]);
  });

  it('every path ends in a final state having reported exactly one settlement, consistent with what was observed', () => {
    const { paths, runs } = model();
    const violations: string[] = [];
    runs.forEach((steps, i) => {
      const last = steps.at(-1)!.next;
      const sent = steps.flatMap(settledSent);
      if (last.status !== 'done') violations.push(`${where(i)} ends active in ${JSON.stringify(last.value)}`);
      if (sent.length !== 1) violations.push(`${where(i)} reported ${sent.length} settlements`);
      else violations.push(...outcomeViolations(String(last.value), sent[0]!.outcome, steps).map((v) => `${v} (${where(i)})`));
      // Before its final state a task has judged nothing and reported nothing.
      const start = paths[i]!.start.snapshot.context as any;
      if (start.decision !== 'none' || start.code !== null || start.message !== '' || start.run !== null) violations.push(`judged at start (${where(i)})`);
      for (const st of steps.slice(0, -1)) {
        const c = st.next.context as any;
        if (c.decision !== 'none' || c.code !== null || c.message !== '' || settledSent(st).length > 0) violations.push(`judged early (${where(i)})`);
      }
    });
    expect(violations).toEqual([]);
    expect(paths.length).toBeGreaterThanOrEqual(WORKER_TASKS.length * 17);
  });

  it('judges each observation as CONTRACT 4 says, with a message naming the task and the cause', () => {
    const { paths, runs } = model();
    // [status, code, decision, what the message says after "<role> task <id>"]
    const judged: Record<string, [string, string | null, string, RegExp]> = {
      'run:completed': ['completed', null, 'accepted', /^ completed: did it$/],
      'run:verdict-pass': ['completed', null, 'accepted', /^ completed: did it$/],
      'run:verdict-fail': ['completed', null, 'accepted', /^ completed: did it$/],
      'run:verdict-blocked': ['completed', null, 'accepted', /^ completed: cannot judge$/],
      'run:status-failed': ['failed', 'worker_failed', 'accepted', /^ reported failed: could not implement$/],
      'run:status-blocked': ['blocked', 'worker_blocked', 'accepted', /^ reported blocked: needs a decision$/],
      'run:completed-blank': ['completed', null, 'accepted', /^ completed:$/],
      'run:status-failed-blank': ['failed', 'worker_failed', 'accepted', /^ reported failed:$/],
      'run:status-blocked-blank': ['blocked', 'worker_blocked', 'accepted', /^ reported blocked:$/],
      'run:conflict': ['failed', 'completion_conflict', 'conflict', /^: the completion file names task some-other-task, not t\d-\w+$/],
      'run:invalid': ['failed', 'completion_invalid', 'invalid', /^ wrote an invalid completion: status: expected one of …$/],
      'run:missing': ['failed', 'completion_missing', 'none', /^ exited without writing its completion file$/],
      'run:exit-3': ['failed', 'worker_failed', 'none', /^ exited with code 3$/],
      'run:exit-3-with-completion': ['failed', 'worker_failed', 'none', /^ exited with code 3$/],
      'run:killed': ['failed', 'worker_failed', 'none', /^ exited with SIGKILL$/],
      'run:timeout': ['timed_out', 'worker_timeout', 'none', /^ ran past its timeout and was killed with its process group$/],
      'run:start-failed': ['failed', 'worker_failed', 'none', /^ could not start: spawn ENOENT$/],
      'run:lost': ['failed', 'completion_missing', 'none', /^: the recorded worker process is gone and left no completion$/],
      'run:lost-unwatched': ['interrupted', 'completion_missing', 'none', /^: its process ended while no driver was watching and left no completion$/],
      'run:threw': ['failed', 'worker_failed', 'none', /^ could not start: runWorker threw: EACCES$/],
      'run:threw-nothing': ['failed', 'worker_failed', 'none', /^ could not start: undefined$/],
      cancel: ['cancelled', null, 'none', /^ was cancelled before it finished$/],
      // A preset agent's report travels as facts; the completion still decides the worker-task judgement.
      'run:agent-success': ['completed', null, 'accepted', /^ completed: did it$/],
      'run:agent-transient': ['failed', 'worker_failed', 'accepted', /^: the agent reported a transient API failure \(transient\)$/],
      'run:agent-quota': ['failed', 'worker_failed', 'accepted', /^: the agent reported a quota or rate limit \(quota\)$/],
      'run:agent-quota-far': ['failed', 'worker_failed', 'accepted', /^: the agent reported a quota or rate limit \(quota\)$/],
      'run:agent-auth': ['failed', 'worker_failed', 'accepted', /^: the agent reported refused credentials \(auth\)$/],
      'run:agent-own-cap': ['failed', 'worker_failed', 'accepted', /^: the agent reported its own turn or budget cap \(own_cap\)$/],
      'run:agent-session-missing': ['failed', 'worker_failed', 'none', /^: the agent reported that the session to continue was not found \(session_missing\)$/],
    };
    const reviewerWithoutVerdict: (typeof judged)[string] = ['failed', 'completion_invalid', 'invalid', /^: a reviewer completion needs a verdict \(PASS, FAIL or BLOCKED\)$/];
    const seen = new Set<string>();
    runs.forEach((steps, i) => {
      const label = paths[i]!.events.at(-1)!.variant;
      const task = (steps[0]!.prev.context as any).task;
      const [status, code, decision, says] = task.role === 'reviewer' && label === 'run:completed' ? reviewerWithoutVerdict : judged[label]!;
      const outcome = steps.flatMap(settledSent)[0]!.outcome;
      expect({ status: outcome.status, code: outcome.code, decision: outcome.decision }, where(i)).toEqual({ status, code, decision });
      const prefix = `${task.role} task ${task.task_id}`;
      expect(outcome.message.startsWith(prefix), outcome.message).toBe(true);
      expect(outcome.message.slice(prefix.length), where(i)).toMatch(says);
      // The worker's own words travel with the outcome: summary, verdict, findings (for the fixer).
      const run = (steps.at(-1)!.next.context as any).run;
      const completion = run?.kind === 'exited' && run.completion.kind === 'present' ? run.completion.completion : null;
      expect([outcome.summary, outcome.verdict, outcome.findings], where(i)).toEqual([completion?.summary ?? '', completion?.verdict ?? null, completion?.findings ?? []]);
      expect(outcome.agent ?? null, where(i)).toEqual(run?.kind === 'exited' ? (run.agent ?? null) : null);
      seen.add(label);
    });
    expect([...seen].sort()).toEqual(Object.keys(judged).sort());
  });

  it('gives the run machine a settlement for every completion decision and failure code', () => {
    const { paths, runs } = model();
    const decisions = new Set<string>();
    const codes = new Set<string>();
    const verdicts = new Set<string>();
    for (const task of WORKER_TASKS) {
      for (const s of settlementsFor(task)) {
        decisions.add(s.outcome.decision);
        codes.add(String(s.outcome.code));
        verdicts.add(String(s.outcome.verdict));
      }
    }
    expect([...decisions].sort()).toEqual(['accepted', 'conflict', 'invalid', 'none']);
    expect([...codes].sort()).toEqual(['completion_conflict', 'completion_invalid', 'completion_missing', 'null', 'worker_blocked', 'worker_failed', 'worker_timeout']);
    expect([...verdicts].sort()).toEqual(['BLOCKED', 'FAIL', 'PASS', 'null']);
  });

  it('continues identically after a persist and restore at every step', () => {
    const { paths, runs } = model();
    const mismatches: string[] = [];
    runs.forEach((steps, i) => {
      let restored = workerStepper.roundTrip(paths[i]!.start.snapshot);
      for (const st of steps) {
        const next = workerStepper.step(restored, st.event);
        const a = JSON.stringify([snapshotFacts(workerTaskMachine, st.next), settledSent(st)]);
        const b = JSON.stringify([snapshotFacts(workerTaskMachine, next.next), settledSent(next)]);
        if (a !== b) mismatches.push(`${where(i)}\n  ${a}\n  ${b}`);
        restored = workerStepper.roundTrip(next.next);
      }
    });
    expect(mismatches.slice(0, 3)).toEqual([]);
  });

  it('a finished worker-task actor ignores every event', () => {
    const { paths, runs } = model();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const moved: string[] = [];
    for (const steps of runs) {
      const persisted = JSON.parse(JSON.stringify(workerTaskMachine.getPersistedSnapshot(steps.at(-1)!.next)));
      const actor = createActor(workerTaskMachine, { snapshot: persisted, input: undefined as never }).start();
      const before = JSON.stringify(actor.getPersistedSnapshot());
      for (const st of runs.flat()) actor.send(st.event as never);
      if (JSON.stringify(actor.getPersistedSnapshot()) !== before) moved.push(JSON.stringify(persisted.value));
      actor.stop();
    }
    warn.mockRestore();
    expect(moved).toEqual([]);
  });
});
