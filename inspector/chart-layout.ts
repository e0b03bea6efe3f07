// Lays the run statechart out as a diagram (boxes in boxes, arrows between them) with ELK, the
// layered layout the statechart visualizers use. Runs once per inspector, in this process: elkjs
// is bundled into dist/, so no network and no browser-side layout are needed.
import ElkBundle from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import type { GraphNode, MachineGraph } from '../machines/graph.ts';

/** One state box, in absolute page coordinates. */
export interface LaidState {
  id: string;
  key: string;
  type: string;
  description: string | null;
  compound: boolean;
  /** The first child of its parent: where the parent starts. */
  initial: boolean;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One arrow: every transition from one state to another, merged. */
export interface LaidEdge {
  id: string;
  source: string;
  target: string;
  /** The events that take it, as written in the machine ("task.settled", "xstate.done.actor.verification"). */
  events: string[];
  /** "event [guard]" per transition, for the tooltip. */
  transitions: string[];
  /** The polyline from source to target (absolute coordinates). */
  points: Array<{ x: number; y: number }>;
  label: { text: string; x: number; y: number; width: number; height: number } | null;
}

/** The whole diagram. */
export interface ChartLayout {
  width: number;
  height: number;
  states: LaidState[];
  edges: LaidEdge[];
  /** Transitions of the root itself (run.cancel): they apply in every state, so they are listed, not drawn. */
  anywhere: Array<{ event: string; target: string }>;
}

// Text metrics of the SVG's 12px sans-serif, close enough for boxes to fit their names.
const CHAR_W = 7;
const LINE_H = 16;
const LEAF_H = 30;
const HEADER = 26;

/** "xstate.done.actor.verification" → "done: verification"; the words a person reads on an arrow. */
export function eventLabel(event: string): string {
  return event.replace(/^xstate\.done\.actor\./, 'done: ').replace(/^xstate\.error\.actor\./, 'error: ');
}

/** Lays out the run statechart; the result is plain data, drawn by chart-svg.ts. */
export async function layoutChart(graph: MachineGraph): Promise<ChartLayout> {
  const meta = new Map<string, { node: GraphNode; initial: boolean }>();
  const toElk = (node: GraphNode, initial: boolean): ElkNode => {
    meta.set(node.id, { node, initial });
    const label = node.key.length * CHAR_W + 24;
    if (node.children.length === 0) return { id: node.id, width: Math.max(label, 90), height: LEAF_H };
    return {
      id: node.id,
      layoutOptions: { 'elk.padding': `[top=${HEADER + 8},left=12,bottom=12,right=12]`, 'elk.nodeSize.constraints': 'MINIMUM_SIZE', 'elk.nodeSize.minimum': `(${label}, 60)` },
      children: node.children.map((child, i) => toElk(child, i === 0)),
    };
  };

  // One arrow per (source, target): several guarded transitions between the same two states read as one.
  const merged = new Map<string, { source: string; target: string; events: string[]; transitions: string[] }>();
  const anywhere: ChartLayout['anywhere'] = [];
  for (const edge of graph.edges) {
    if (edge.source === graph.root.id) {
      anywhere.push({ event: edge.event, target: edge.target });
      continue;
    }
    const key = `${edge.source}->${edge.target}`;
    const entry = merged.get(key) ?? { source: edge.source, target: edge.target, events: [], transitions: [] };
    if (!entry.events.includes(edge.event)) entry.events.push(edge.event);
    entry.transitions.push(edge.guard ? `${edge.event} [${edge.guard}]` : edge.event);
    merged.set(key, entry);
  }
  const edges: ElkExtendedEdge[] = [...merged.values()].map((e, i) => {
    const text = e.events.map(eventLabel).join(', ');
    return { id: `e${i}`, sources: [e.source], targets: [e.target], labels: [{ text, width: text.length * (CHAR_W - 1) + 6, height: LINE_H - 2 }] };
  });

  const root: ElkNode = {
    id: graph.root.id,
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.layered.spacing.nodeNodeBetweenLayers': '28',
      'elk.spacing.nodeNode': '28',
      'elk.spacing.edgeLabel': '4',
      'elk.layered.edgeLabels.sideSelection': 'ALWAYS_DOWN',
      'elk.padding': '[top=12,left=12,bottom=12,right=12]',
      // Fewer crossings and a narrower chart than the defaults; states keep the machine's order.
      'elk.layered.mergeEdges': 'true',
      'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
    },
    children: graph.root.children.map((child, i) => toElk(child, i === 0)),
    edges,
  };
  // A CommonJS module: its export is the constructor, which also names itself `default`.
  const laid = await new ElkBundle.default().layout(root);

  // ELK gives each shape relative to its parent, and each edge relative to its container.
  const states: LaidState[] = [];
  const origin = new Map<string, { x: number; y: number }>([[graph.root.id, { x: 0, y: 0 }]]);
  const walk = (node: ElkNode, ox: number, oy: number) => {
    for (const child of node.children ?? []) {
      const x = ox + (child.x ?? 0);
      const y = oy + (child.y ?? 0);
      origin.set(child.id, { x, y });
      const { node: g, initial } = meta.get(child.id)!;
      states.push({ id: g.id, key: g.key, type: g.type, description: g.description, compound: g.children.length > 0, initial, x, y, width: child.width ?? 0, height: child.height ?? 0 });
      walk(child, x, y);
    }
  };
  walk(laid, 0, 0);
  const merges = [...merged.values()];
  const laidEdges: LaidEdge[] = (laid.edges ?? []).map((edge, i) => {
    const e = edge as ElkExtendedEdge & { container?: string };
    const o = origin.get(e.container ?? graph.root.id) ?? { x: 0, y: 0 };
    const points = (e.sections ?? []).flatMap((s) => [s.startPoint, ...(s.bendPoints ?? []), s.endPoint]).map((p) => ({ x: p.x + o.x, y: p.y + o.y }));
    const l = e.labels?.[0];
    const m = merges[i]!;
    return {
      id: e.id, source: m.source, target: m.target, events: m.events, transitions: m.transitions, points,
      label: l ? { text: l.text ?? '', x: (l.x ?? 0) + o.x, y: (l.y ?? 0) + o.y, width: l.width ?? 0, height: l.height ?? 0 } : null,
    };
  });
  return { width: laid.width ?? 0, height: laid.height ?? 0, states, edges: laidEdges, anywhere };
}
