import { runMachine } from '../../machines/run-machine.ts';
import { machineGraph, toMermaid, toScxml } from '../../machines/graph.ts';
import type { Output } from '../output.ts';

/** `buran graph`: the run statechart as defined in code. */
export function graphCommand(format: string, output: Output): number {
  const graph = machineGraph(runMachine);
  output.out(format === 'json' ? JSON.stringify(graph, null, 2) : format === 'scxml' ? toScxml(graph) : toMermaid(graph));
  return 0;
}
