import type { AnyStateMachine, AnyStateNode } from 'xstate';

/** One state of the chart, with its children (the inspector and `buran graph` share this). */
export interface GraphNode {
  id: string;
  key: string;
  type: string;
  description: string | null;
  invokes: string[];
  children: GraphNode[];
}

/** One transition: from a state to a state on an event, with its guard's name. */
export interface GraphEdge {
  source: string;
  target: string;
  event: string;
  guard: string | null;
}

/** The statechart as data, read from the machine definition itself. */
export interface MachineGraph {
  root: GraphNode;
  edges: GraphEdge[];
}

/** Reads the machine's states and transitions from its definition. */
export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const edges: GraphEdge[] = [];
  const visit = (node: AnyStateNode): GraphNode => {
    const transitions = [...node.transitions.values()].flat().concat(node.always ?? []);
    for (const t of transitions) {
      for (const target of t.target ?? []) {
        edges.push({ source: node.id, target: target.id, event: t.eventType === '' ? 'always' : t.eventType, guard: guardName(t.guard) });
      }
    }
    return {
      id: node.id,
      key: node.key,
      type: node.type,
      description: node.description ?? null,
      invokes: node.invoke.map((i: { src: unknown }) => (typeof i.src === 'string' ? i.src : 'inline')),
      children: Object.values(node.states as Record<string, AnyStateNode>).map(visit),
    };
  };
  return { root: visit(machine.root), edges };
}

function guardName(guard: unknown): string | null {
  if (guard === undefined || guard === null) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    // xstate's and/or/not are functions named after themselves carrying their operands.
    const combinator = guard as { guards?: unknown[]; name?: string };
    if (Array.isArray(combinator.guards)) {
      const operands = combinator.guards.map(guardName);
      if (combinator.name === 'not') return `!${operands[0]}`;
      return operands.join(combinator.name === 'or' ? ' | ' : ' & ');
    }
    return combinator.name || 'guard';
  }
  const typed = guard as { type?: string };
  return typed.type ?? 'guard';
}

/** Mermaid stateDiagram-v2 text for the chart. */
export function toMermaid(graph: MachineGraph): string {
  const lines = ['stateDiagram-v2'];
  // Root-level transitions (run.cancel) apply in every active state.
  const name = (id: string) => (id === graph.root.id ? 'any_active_state' : id.replace(/^[^.]*\./, '').replace(/\./g, '_'));
  const emit = (node: GraphNode, depth: number) => {
    const pad = '  '.repeat(depth);
    for (const child of node.children) {
      if (child.children.length > 0) {
        lines.push(`${pad}state ${name(child.id)} {`);
        const initial = child.children[0];
        if (initial) lines.push(`${pad}  [*] --> ${name(initial.id)}`);
        emit(child, depth + 1);
        lines.push(`${pad}}`);
      } else if (child.type === 'final') {
        lines.push(`${pad}${name(child.id)} --> [*]`);
      }
    }
  };
  const first = graph.root.children[0];
  if (first) lines.push(`  [*] --> ${name(first.id)}`);
  emit(graph.root, 1);
  for (const e of graph.edges) {
    const label = e.guard ? `${e.event} [${e.guard}]` : e.event;
    lines.push(`  ${name(e.source)} --> ${name(e.target)} : ${label.replace(/:/g, '∶')}`);
  }
  return lines.join('\n');
}

const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * W3C SCXML for the chart. The root's own transitions (run.cancel) need a state to live on,
 * so the chart sits in one compound <state id="run">. Ids are xstate's ("run.running.awaiting",
 * valid XML ids); an eventless (always) transition has no event attribute; guards are named in
 * `cond`; initial states are the first child, as in the machine definition (SCXML's default too).
 */
export function toScxml(graph: MachineGraph): string {
  const bySource = new Map<string, GraphEdge[]>();
  for (const e of graph.edges) bySource.set(e.source, [...(bySource.get(e.source) ?? []), e]);
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(`<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0" name="${xml(graph.root.key)}" initial="${xml(graph.root.id)}">`);
  const emit = (node: GraphNode, depth: number) => {
    const pad = '  '.repeat(depth);
    const tag = node.type === 'final' ? 'final' : node.type === 'parallel' ? 'parallel' : 'state';
    const initial = tag === 'state' && node.children[0] ? ` initial="${xml(node.children[0].id)}"` : '';
    lines.push(`${pad}<${tag} id="${xml(node.id)}"${initial}>`);
    if (node.description) lines.push(`${pad}  <!-- ${xml(node.description).replace(/--/g, '- -')} -->`);
    for (const src of node.invokes) lines.push(`${pad}  <invoke type="xstate" src="${xml(src)}"/>`);
    for (const e of bySource.get(node.id) ?? []) {
      const event = e.event === 'always' ? '' : ` event="${xml(e.event)}"`;
      const cond = e.guard ? ` cond="${xml(e.guard)}"` : '';
      lines.push(`${pad}  <transition${event}${cond} target="${xml(e.target)}"/>`);
    }
    for (const child of node.children) emit(child, depth + 1);
    lines.push(`${pad}</${tag}>`);
  };
  emit(graph.root, 1);
  lines.push('</scxml>');
  return lines.join('\n');
}
