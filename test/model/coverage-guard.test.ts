// Proves the coverage checks can fail: dropping one payload variant leaves exactly the transitions only it reaches uncovered.
import { describe, expect, it } from 'vitest';
import { getStateNodes } from 'xstate/graph';
import { runMachine } from '../../machines/run-machine.ts';
import { workerTaskMachine } from '../../machines/worker-task-machine.ts';
import { coverage, edgeIndex, replayAll } from './model-kit.ts';
import { runPaths, runSpec, runStepper, scenarioOf } from './run-model.ts';
import { workerPaths, workerSpec, workerStepper } from './worker-task-model.ts';

const runCoverage = (drop: string[]) => {
  const paths = runPaths(new Set(drop), [scenarioOf('no-fix-budget')]);
  return coverage(runMachine, paths, replayAll(runStepper, runSpec(), paths));
};
const workerCoverage = (drop: string[]) => {
  const paths = workerPaths(new Set(drop));
  return coverage(workerTaskMachine, paths, replayAll(workerStepper, workerSpec(), paths));
};
const newlyMissing = (base: string[], dropped: string[]) => dropped.filter((m) => !base.includes(m));

describe('coverage checks fail when a transition is unreached', () => {
  it('run: without the stale verification report, handoff_ready.checking never blocks', () => {
    const base = runCoverage([]);
    const dropped = runCoverage(['verification:stale-pass']);
    expect(newlyMissing(base.edges.missing, dropped.edges.missing)).toEqual([
      'run.handoff_ready.checking → run.blocked_needs_human on always [!gatesPassedForEpoch]',
    ]);
  });

  it('run: without lease refusals, blocked_lock_conflict is neither entered nor reached', () => {
    const dropped = runCoverage(['lease:held', 'leaseWait:held']);
    expect(dropped.edges.missing).toContain('run.waiting_for_lock.acquiring → run.blocked_lock_conflict on xstate.done.actor.lease');
    expect(dropped.edges.missing).toContain('run.waiting_for_lock.waiting → run.blocked_lock_conflict on xstate.done.actor.leaseWait');
    expect(dropped.states.missing).toContain('run.blocked_lock_conflict');
  });

  it('worker-task: without a lost process or a cancel, their transitions and the cancelled state are unreached', () => {
    expect(workerCoverage([]).edges.missing).toEqual([]);
    const dropped = workerCoverage(['run:lost', 'cancel']);
    expect(dropped.edges.missing.sort()).toEqual([
      'workerTask → workerTask.cancelled on task.cancel',
      'workerTask.judging → workerTask.failed on always [lost]',
    ]);
    expect(dropped.states.missing).toEqual(['workerTask.cancelled']);
  });

  it('the transition list is machineGraph()\'s, matched to the definition edge by edge', () => {
    for (const machine of [runMachine, workerTaskMachine]) {
      const { edges, of } = edgeIndex(machine);
      const all = [machine.root, ...getStateNodes(machine.root)].flatMap((n) => [...n.transitions.values()].flat().concat(n.always ?? []));
      expect(edges.length).toBeGreaterThan(0);
      expect(all.every((t) => of(t).length === (t.target?.length ?? 0))).toBe(true);
      expect(new Set(all.flatMap(of)).size).toBe(edges.length);
    }
  });
});
