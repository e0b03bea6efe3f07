// Model-based tests of the run machine: generated paths cover every state and transition, keep the invariants and the CONTRACT oracle, survive persistence.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createActor, type AnyMachineSnapshot } from 'xstate';
import type { RunContext } from '../../machines/run-rules.ts';
import { nextSafeAction } from '../../machines/next-safe-action.ts';
import { runMachine } from '../../machines/run-machine.ts';
import { coverage, replayAll, snapshotFacts, type ModelPath, type StepRecord, type Variant } from './model-kit.ts';
import { projectRun, runEvents, runPaths, runSpec, runStepper, SCENARIOS } from './run-model.ts';
import { consistencyViolations, dispatchHistory, safetyViolations, stepViolations } from './run-invariants.ts';
import { expectedBlockers, expectedEnding, expectedGate } from './run-oracle.ts';

// Built once in beforeAll, not at import: a machine that breaks generation then fails every test (model() rethrows)
// instead of failing the file's collection (which mutation testing would not count as a failure).
let built: { paths: ModelPath[]; runs: StepRecord[][]; distinct: StepRecord[]; unique: number; ms: number } | undefined;
let failure: unknown;
beforeAll(() => {
  try {
    const started = performance.now();
    const paths = runPaths();
    const runs = replayAll(runStepper, runSpec(), paths);
    const distinct = [...new Set(runs.flat())];
    built = { paths, runs, distinct, unique: distinct.length, ms: performance.now() - started };
  } catch (error) {
    failure = error;
  }
});
function model() {
  if (!built) throw failure;
  return built;
}
const ctx = (s: AnyMachineSnapshot) => s.context as RunContext;
const top = (s: AnyMachineSnapshot) => (typeof s.value === 'string' ? s.value : Object.keys(s.value)[0]!);
const at = (st: StepRecord) => `${JSON.stringify(st.prev.value)} --${st.event.variant}--> ${JSON.stringify(st.next.value)}`;
const spawns = (st: StepRecord) => st.actions.filter((a) => a.type === 'xstate.spawnChild').map((a) => a.params);
const tampered = new Set(SCENARIOS.filter((s) => s.tampered).map((s) => s.name));
const where = (i: number, step?: number) => {
  const path = model().paths[i]!;
  return `${path.scenario}: ${path.events.slice(0, (step ?? path.events.length - 1) + 1).map((e) => e.variant).join(' → ')}`;
};

describe('run machine model (generated paths)', () => {
  it('reaches every state and every transition of machineGraph(runMachine)', ({ task }) => {
    const { paths, runs, distinct, unique } = model();
    const cov = coverage(runMachine, paths, runs);
    task.meta.model = { machine: 'run', states: cov.states.total, reached: cov.states.reached, transitions: cov.edges.total, covered: cov.edges.covered, paths: paths.length };
    expect(cov.states.missing, 'states no generated path reaches').toEqual([]);
    expect(cov.edges.missing, 'transitions no generated path takes').toEqual([]);
    expect(cov.edges.total).toBeGreaterThan(0);
  });

  it('uses every payload variant of every event at least once', () => {
    const { paths, runs, distinct, unique } = model();
    const offered = new Set<string>();
    const taken = new Set(runs.flat().map((s) => s.event.variant));
    for (const steps of runs) for (const s of steps) if (s.prev.status === 'active') runEvents(s.prev).forEach((v) => offered.add(v.variant));
    expect([...offered].filter((v) => !taken.has(v))).toEqual([]);
    // The verdicts, decisions, exit codes and timeouts named by the model are all among them.
    for (const v of ['verification:pass', 'verification:fail', 'verification:timeout-blocked', 'task:verdict-pass', 'task:verdict-fail',
      'task:verdict-blocked', 'task:conflict', 'task:invalid', 'task:missing', 'task:exit-3', 'task:timeout', 'task:status-blocked',
      'task:status-failed', 'task:not-current', 'lease:held', 'cancel']) {
      expect(taken, v).toContain(v);
    }
  });

  it('keeps the invariants at every step of every path', () => {
    const { paths, runs, distinct, unique } = model();
    const violations: string[] = [];
    const checked = new Set<StepRecord>();
    runs.forEach((steps, i) => {
      const seen: AnyMachineSnapshot[] = [paths[i]!.start.snapshot];
      const consistent = !tampered.has(paths[i]!.scenario);
      const check = (s: AnyMachineSnapshot, at: string) => {
        const found = [...safetyViolations(s), ...(consistent ? consistencyViolations(s, dispatchHistory(seen)) : [])];
        for (const f of found) violations.push(`${f} (after ${at})`);
      };
      if (steps.length === 0 || !checked.has(steps[0]!)) check(paths[i]!.start.snapshot, `${paths[i]!.scenario}: start`);
      steps.forEach((st, k) => {
        seen.push(st.next);
        if (checked.has(st)) return; // the same prefix was checked on another path
        checked.add(st);
        check(st.next, where(i, k));
        for (const f of stepViolations(st.prev, st.next)) violations.push(`${f} (after ${where(i, k)})`);
      });
    });
    expect(violations.slice(0, 10)).toEqual([]);
    expect(checked.size).toBe(unique);
    // The guarded situations do occur on the paths, so the invariants above are not vacuous.
    const all = runs.flat().map((s) => s.next);
    for (const state of ['verification.running_commands', 'internal_review', 'fix_loop', 'handoff_ready.handing_off', 'ready_for_manual_review']) {
      expect(all.some((s) => s.matches(state as never)), state).toBe(true);
    }
  });

  it('continues identically after a persist (JSON of getPersistedSnapshot) and restore at every step', () => {
    const { paths, runs, distinct, unique } = model();
    const mismatches: string[] = [];
    // For each distinct prefix: the snapshot reached by restoring after every step, then taking this step.
    const continued = new Map<StepRecord, AnyMachineSnapshot>();
    runs.forEach((steps, i) => {
      let before = paths[i]!.start.snapshot;
      steps.forEach((st, k) => {
        let after = continued.get(st);
        if (!after) {
          after = runStepper.step(runStepper.roundTrip(before), st.event).next;
          continued.set(st, after);
          const a = JSON.stringify(snapshotFacts(runMachine, st.next));
          const b = JSON.stringify(snapshotFacts(runMachine, after));
          if (a !== b) mismatches.push(`${where(i, k)}\n  uninterrupted ${a}\n  restored      ${b}`);
        }
        before = after;
      });
    });
    expect(mismatches.slice(0, 3)).toEqual([]);
    expect(continued.size).toBe(unique);
  });

  it('a finished run actor (restored from its persisted terminal snapshot) ignores every event', () => {
    const { paths, runs, distinct, unique } = model();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const events = new Map<string, Variant>();
    for (const st of runs.flat()) events.set(st.event.variant, st.event);
    const terminals = new Map<string, AnyMachineSnapshot>();
    for (const st of runs.flat()) if (st.next.status === 'done') terminals.set(JSON.stringify(projectRun(st.next)), st.next);
    expect(terminals.size).toBeGreaterThan(10);
    const moved: string[] = [];
    for (const snapshot of terminals.values()) {
      const persisted = JSON.parse(JSON.stringify(runMachine.getPersistedSnapshot(snapshot)));
      const actor = createActor(runMachine, { snapshot: persisted, input: undefined as never }).start();
      const before = JSON.stringify(actor.getPersistedSnapshot());
      for (const event of events.values()) actor.send(event as never);
      if (JSON.stringify(actor.getPersistedSnapshot()) !== before) moved.push(JSON.stringify(snapshot.value));
      actor.stop();
    }
    warn.mockRestore();
    expect(moved).toEqual([]);
  });
});

describe('run machine steps against the CONTRACT oracle (every distinct step of every generated path)', () => {
  it('each step appends exactly the blockers the oracle names and ends where CONTRACT 5 says', () => {
    const { paths, runs, distinct, unique } = model();
    const wrong: string[] = [];
    for (const st of distinct) {
      const added = ctx(st.next).blockers.slice(ctx(st.prev).blockers.length);
      const expected = expectedBlockers(st);
      const ok = added.length === expected.length && expected.every((b, i) => Object.entries(b).every(([k, v]) => (added[i] as any)?.[k] === v));
      if (!ok) wrong.push(`${at(st)}: added ${JSON.stringify(added)}, expected ${JSON.stringify(expected)}`);
      const ending = expectedEnding(st, expected);
      const state = st.next.status === 'done' ? top(st.next) : null;
      if (state !== ending) wrong.push(`${at(st)}: ended ${state}, expected ${ending}`);
      if (added.length > 0 && JSON.stringify(ctx(st.next).blocker) !== JSON.stringify(added[0])) wrong.push(`${at(st)}: blocker is not the first one added`);
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    // Every machine-made blocker code of CONTRACT 5 occurs (registry_corrupt is the registry's; the rest are causes).
    expect([...new Set(distinct.flatMap((st) => ctx(st.next).blockers.map((b) => b.code)))].sort()).toEqual([
      'adapter_unavailable', 'agent_auth_failed', 'agent_limit_reached', 'budget_exhausted', 'cancelled', 'completion_conflict',
      'completion_missing', 'fix_budget_exhausted', 'lock_conflict', 'plan_insufficient', 'policy_denied', 'quota_exhausted',
      'retry_exhausted', 'review_blocked', 'secret_in_change', 'verification_blocked', 'worker_blocked', 'workspace_setup_failed',
    ]);
    expect([...new Set(distinct.flatMap((st) => ctx(st.next).blockers.map((b) => b.cause ?? '-')))].sort()).toEqual([
      '-', 'completion_invalid', 'completion_missing', 'worker_failed', 'worker_timeout',
    ]);
  });

  it('gates are recorded for the epoch they judged, and their findings are what the fixer gets next', () => {
    const { paths, runs, distinct, unique } = model();
    const wrong: string[] = [];
    for (const st of distinct) {
      const gate = expectedGate(st);
      const before = ctx(st.prev);
      const after = ctx(st.next);
      if (!gate) {
        if (after.verification !== before.verification || after.review !== before.review) wrong.push(`${at(st)}: a gate record changed`);
        continue;
      }
      const recorded = { ...(gate.verification ? { verification: after.verification } : {}), ...(gate.review ? { review: after.review } : {}), findings: after.findings };
      if (JSON.stringify(recorded) !== JSON.stringify(gate)) wrong.push(`${at(st)}: recorded ${JSON.stringify(recorded)}, expected ${JSON.stringify(gate)}`);
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it('accepted work becomes the evidence of its epoch, a settled task\'s child is unlisted at once, the handoff record is kept', () => {
    const { paths, runs, distinct, unique } = model();
    let seen = 0;
    for (const st of distinct) {
      const o = (st.event as any).outcome;
      const before = ctx(st.prev);
      if (!o || o.role === 'reviewer' || o.task_id !== before.current?.task_id || o.status !== 'completed' || o.decision !== 'accepted') continue;
      seen++;
      expect(ctx(st.next).evidence, at(st)).toEqual({ task_id: o.task_id, epoch: before.current!.epoch });
      expect(ctx(st.next).current, at(st)).toBeNull();
    }
    // Any settlement of the current task stops and unlists its child at once, even on the way to a terminal state.
    for (const st of distinct) {
      const o = (st.event as any).outcome;
      if (o && o.task_id === ctx(st.prev).current?.task_id) expect(Object.keys(st.next.children), at(st)).not.toContain(`task:${o.task_id}`);
    }
    // The handoff actor's record is what the run keeps.
    const handoffs = distinct.filter((st) => st.event.variant === 'handoff');
    expect(handoffs.length).toBeGreaterThan(0);
    for (const st of handoffs) expect(ctx(st.next).handoff).toEqual((st.event as any).output);
    expect(seen).toBeGreaterThan(20);
  });

  it('every dispatch spawns one worker-task child, named after the task, given the task and the findings to address', () => {
    const { paths, runs, distinct, unique } = model();
    let fixes = 0;
    for (const st of distinct) {
      const after = ctx(st.next);
      const fresh = after.current !== null && after.current.task_id !== ctx(st.prev).current?.task_id;
      const tasks = spawns(st).filter((p) => p.src === 'workerTask');
      if (!fresh) {
        expect(tasks, at(st)).toEqual([]);
        continue;
      }
      expect(tasks.length, at(st)).toBe(1);
      expect(tasks[0].actorRef.id).toBe(`task:${after.current!.task_id}`);
      // CONTRACT 4: what the run may still spend caps a preset agent; a fixer is offered the session to continue.
      const max = after.settings.agents?.max_cost_usd ?? null;
      const budget = max === null ? null : Math.max(0, Math.round((max - (after.cost_usd ?? 0)) * 1e6) / 1e6);
      const session = after.current!.role === 'fixer' ? (after.agent_session ?? null) : null;
      expect(tasks[0].input).toEqual({ run_id: after.run_id, task: after.current, findings: after.findings, budget_usd: budget, resume_session: session });
      expect(after.current!.task_id).toBe(`t${after.dispatches}-${after.current!.role}`);
      if (after.current!.role === 'implementer') expect(after.findings, at(st)).toEqual([]);
      if (after.current!.role === 'fixer') {
        fixes++;
        expect(after.findings.length, `${at(st)}: a fixer without the failed gate's findings`).toBeGreaterThan(0);
      }
    }
    expect(fixes).toBeGreaterThan(5);
  });

  it('each effect is invoked with the run id, and the gates with the current epoch and the packet\'s commands', () => {
    const { paths, runs, distinct, unique } = model();
    const inputs = new Map<string, unknown[]>();
    const starts = paths.map((p) => ({ actions: p.start.actions, next: p.start.snapshot }));
    for (const st of [...distinct, ...starts]) {
      for (const p of spawns(st as StepRecord).filter((x) => x.src !== 'workerTask')) {
        const c = ctx(st.next);
        const expected = p.src === 'runVerification' ? { run_id: c.run_id, epoch: c.epoch, commands: c.plan.verification_commands }
          : p.src === 'performHandoff' ? { run_id: c.run_id, epoch: c.epoch }
          : p.src === 'awaitLease' ? { run_id: c.run_id, until: c.lease_wait_until }
            : p.src === 'awaitAgentPause' ? { run_id: c.run_id, until: c.agent_pause?.until } : { run_id: c.run_id };
        expect(p.input, p.src).toEqual(expected);
        inputs.set(p.src, [...(inputs.get(p.src) ?? []), p.input]);
      }
    }
    expect([...inputs.keys()].sort()).toEqual([
      'acquireLease', 'awaitAgentPause', 'awaitLease', 'performHandoff', 'prepareWorkspace', 'recordIntake', 'retireWorkspace', 'runVerification',
      'scanChange', 'setUpWorkspace',
    ]);
  });

  it('a settlement of a task that is not current changes nothing and is emitted as a duplicate', () => {
    const { paths, runs, distinct, unique } = model();
    const late = distinct.filter((st) => st.event.variant === 'task:not-current');
    expect(late.length).toBeGreaterThan(20);
    for (const st of late) {
      expect([st.next.value, st.next.context], at(st)).toEqual([st.prev.value, st.prev.context]);
      const emitted = st.actions.filter((a) => a.type === 'xstate.emit').map((a) => a.params.event);
      expect(emitted).toEqual([{ type: 'task.duplicate', task_id: 't0-late', message: 'a completion for task t0-late, which is not the current task, was recorded and ignored' }]);
    }
  });

  it('every terminal snapshot of the run model gets an action that is not resume, and only a finished handoff gets a review of it', () => {
    const { paths, runs, distinct, unique } = model();
    const seen = new Set<string>();
    for (const steps of runs) {
      const last = steps.at(-1)?.next;
      if (!last || last.status !== 'done') continue;
      const c = last.context as RunContext;
      const state = String(last.value);
      const action = nextSafeAction(c.run_id, state, c.blocker, true);
      // Only a spent quota is resumed, and not before its reset (CONTRACT 4).
      if (c.blocker?.code === 'quota_exhausted') expect([action.kind, action.not_before]).toEqual(['resume', c.blocker.not_before]);
      else expect(action.kind).not.toBe('resume');
      expect(action.reason.length).toBeGreaterThan(10);
      if (state === 'ready_for_manual_review') expect(action.reason).toMatch(/both gates passed/);
      seen.add(`${state}/${c.blocker?.code ?? '-'}/${action.kind}`);
    }
    expect(seen.size).toBeGreaterThan(12);
  });
});

afterAll(() => {
  if (process.env.BURAN_MODEL_TIMING && built) console.log(`run model: ${built.paths.length} paths, ${built.runs.flat().length} steps (${built.unique} distinct), built in ${built.ms.toFixed(0)} ms`);
});
