import { describe, expect, it } from 'vitest';
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { runMachine } from '../../machines/run-machine.ts';
import { workerTaskMachine } from '../../machines/worker-task-machine.ts';

// Every effect a chart invokes can fail; each failure must be a transition the chart names
// (a blocker), never an errored actor that the CLI reports as a bug.

function nodes(machine: AnyStateMachine): AnyStateNode[] {
  const all: AnyStateNode[] = [];
  const walk = (node: AnyStateNode) => {
    all.push(node);
    for (const child of Object.values(node.states)) walk(child as AnyStateNode);
  };
  walk(machine.root);
  return all;
}

describe('every invoke has an onError', () => {
  for (const machine of [runMachine, workerTaskMachine]) {
    it(machine.id, () => {
      const invokes = nodes(machine).flatMap((node) => node.invoke.map((inv) => ({ node: node.id, id: inv.id, src: String(inv.src) })));
      expect(invokes.length).toBeGreaterThan(0);
      const missing = invokes.filter(({ node, id }) => {
        const owner = nodes(machine).find((n) => n.id === node)!;
        return !owner.transitions.has(`xstate.error.actor.${id}`);
      });
      expect(missing, 'invokes whose failure no transition handles').toEqual([]);
    });
  }

  it('the check sees a missing onError (a chart without one fails it)', () => {
    const invokes = nodes(runMachine).flatMap((n) => n.invoke.map((inv) => ({ n, id: inv.id })));
    const sample = invokes.find((i) => i.id === 'verification')!;
    expect(sample.n.transitions.has('xstate.error.actor.verification')).toBe(true);
    expect(sample.n.transitions.has('xstate.error.actor.no-such-invoke')).toBe(false);
  });
});
