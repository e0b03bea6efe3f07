// machines/ loaded inside tests (so a definition that fails to build fails a test): charts, default effect slots, nextTask, guard names.
import { describe, expect, it } from 'vitest';
import { and, createActor, createMachine, fromPromise, not, or, toPromise } from 'xstate';

const load = async () => ({
  ...(await import('../../machines/run-machine.ts')),
  ...(await import('../../machines/worker-task-machine.ts')),
  ...(await import('../../machines/run-rules.ts')),
  ...(await import('../../machines/graph.ts')),
  ...(await import('../../machines/states.ts')),
});

describe('machines/ (loaded inside the tests)', () => {
  it('the run and worker-task charts build, with their ids, initial states and tags', async () => {
    const m = await load();
    expect(m.runMachine.id).toBe('run');
    expect(Object.keys(m.runMachine.root.states)).toEqual([...m.RUN_STATES]);
    expect(m.runMachine.root.initial.target.map((t) => t.key)).toEqual(['packet_received']);
    // The implementer's stage first prepares the workspace (workspace.setup); the others dispatch at once.
    expect(m.runMachine.root.states.running!.initial.target.map((t) => t.key)).toEqual(['preparing']);
    for (const key of ['internal_review', 'fix_loop']) {
      expect(m.runMachine.root.states[key]!.initial.target.map((t) => t.key), key).toEqual(['dispatching']);
    }
    for (const key of ['verification', 'handoff_ready']) expect(m.runMachine.root.states[key]!.initial.target.map((t) => t.key)).toEqual(['checking']);
    for (const [key, node] of Object.entries(m.runMachine.root.states)) {
      const tags = [...node.tags].sort();
      expect(tags, key).toEqual(m.TERMINAL_STATES.has(key) ? (m.BLOCKED_STATES.has(key) ? ['blocked', 'terminal'] : ['terminal']) : []);
    }
    expect(m.workerTaskMachine.id).toBe('workerTask');
    expect(m.workerTaskMachine.root.initial.target.map((t) => t.key)).toEqual(['created']);
    expect(Object.keys(m.workerTaskMachine.root.states)).toEqual(['created', 'dispatched', 'judging', 'completed', 'failed', 'blocked', 'timed_out', 'cancelled', 'interrupted']);
  });

  it('every working state says what it does (buran graph and the inspector show it)', async () => {
    const m = await load();
    for (const [key, node] of Object.entries(m.runMachine.root.states)) {
      if (node.type !== 'final') expect(node.description?.length ?? 0, key).toBeGreaterThan(20);
    }
    for (const key of ['dispatched', 'judging']) expect(m.workerTaskMachine.root.states[key]!.description?.length ?? 0, key).toBeGreaterThan(20);
  });

  it('the default effect slots fail loudly until actors/ provides them; the trivial ones succeed', async () => {
    const m = await load();
    const run = async (logic: any, input: unknown) => toPromise(createActor(logic, { input }).start());
    await expect(run(m.runMachine.implementations.actors.runVerification, { run_id: 'r', epoch: 1, commands: [] })).rejects.toThrow('runVerification is provided by actors/');
    await expect(run(m.runMachine.implementations.actors.performHandoff, { run_id: 'r', epoch: 1 })).rejects.toThrow('performHandoff is provided by actors/');
    await expect(run(m.workerTaskMachine.implementations.actors.runWorker, {})).rejects.toThrow('runWorker is provided by actors/');
    await expect(run(m.runMachine.implementations.actors.acquireLease, { run_id: 'r' })).resolves.toEqual({ granted: true });
    await expect(run(m.runMachine.implementations.actors.recordIntake, { run_id: 'r' })).resolves.toEqual({ missing_programs: [], git_workspace: true, branch_holder: null });
    await expect(run(m.runMachine.implementations.actors.setUpWorkspace, { run_id: 'r' })).resolves.toEqual({ commands: [] });
    await expect(run(m.runMachine.implementations.actors.scanChange, { run_id: 'r' })).resolves.toEqual({ findings: [] });
    await expect(run(m.runMachine.implementations.actors.prepareWorkspace, { run_id: 'r' })).resolves.toBeUndefined();
  });

  it('a fresh run dispatches the implementer\'s first attempt, judged in epoch 1, with nothing else recorded', async () => {
    const m = await load();
    const settings = { roles: { implementer: true, fixer: true, reviewer: true }, max_fix_attempts: 1, max_dispatch_retries: 1, allowed_commands: [], lease_wait_ms: 0, handoff: { kind: 'local' as const, allowed_repos: [] }, setup: false };
    const context = m.initialContext({ run_id: 'r', plan: {} as never, missing: [], settings });
    expect(m.nextTask(context)).toEqual({ task_id: 't1-implementer', role: 'implementer', attempt: 1, retry: 0, epoch: 1 });
    expect(context).toMatchObject({ epoch: 0, fix_attempts: 0, review_attempts: 0, dispatches: 0, pending: null, current: null, evidence: null,
      verification: null, review: null, findings: [], blocker: null, blockers: [], handoff: null });
  });

  it('machineGraph names every kind of guard: string, object, and/or/not, named and anonymous functions', async () => {
    const { machineGraph } = await load();
    const named = function isReady() { return true; };
    const machine = createMachine({
      id: 'g', initial: 'a',
      states: {
        a: {
          on: {
            s: { target: 'b', guard: 'plain' as never },
            o: { target: 'b', guard: { type: 'withParams', params: { x: 1 } } as never },
            c: { target: 'b', guard: or(['p', not('q')] as never) as never },
            d: { target: 'b', guard: and(['p', 'q'] as never) as never },
            n: { target: 'b', guard: named },
            f: { target: 'b', guard: (() => () => true)() },
          },
          invoke: [{ src: 'worker' as never }, { src: fromPromise(async () => 1) }],
        },
        b: {},
      },
    });
    const graph = machineGraph(machine);
    expect(graph.edges.map((e) => [e.event, e.guard])).toEqual([
      ['s', 'plain'], ['o', 'withParams'], ['c', 'p | !q'], ['d', 'p & q'], ['n', 'isReady'], ['f', 'guard'],
    ]);
    // xstate itself names inline logic (xstate.invoke.…), so graph.ts's 'inline' fallback never shows.
    expect(graph.root.children[0]!.invokes).toEqual(['worker', 'xstate.invoke.1.g.a']);
  });
});
