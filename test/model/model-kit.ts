// Model-based test kit: pure stepping with captured microsteps, path generation keyed by (state, event, previous state), coverage against machineGraph().
import { createEmptyActor, type AnyMachineSnapshot, type AnyStateMachine, type AnyStateNode, type EventObject } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { machineGraph, type GraphEdge, type GraphNode } from '../../machines/graph.ts';

/** One payload variant of an event; `variant` names it in path keys, tables and failure messages. */
export type Variant = EventObject & { variant: string; [field: string]: unknown };

/** What one macrostep did: the snapshot after it, every transition taken, every microstep snapshot, every action it would execute. */
export interface StepRecord {
  prev: AnyMachineSnapshot;
  event: Variant;
  next: AnyMachineSnapshot;
  transitions: TransitionDef[];
  microsnapshots: AnyMachineSnapshot[];
  actions: Array<{ type: string; params?: any }>;
}

/** The fields of xstate's transition definition that the kit reads. */
export interface TransitionDef {
  source: AnyStateNode;
  target?: readonly AnyStateNode[];
  eventType: string;
}

/**
 * Pure stepping through a machine's own `transition` with an actor scope that records microsteps and
 * executable actions (invoked and spawned actors are created, never started). The scope's self has a parent,
 * so `sendParent` resolves and is recorded instead of throwing.
 */
export function stepper(machine: AnyStateMachine) {
  // Only initial() and step() record; transitions made by xstate/graph through `logic` record nothing.
  let sink: Omit<StepRecord, 'prev' | 'event' | 'next'> | null = null;
  const self = createEmptyActor() as any;
  self._parent = createEmptyActor();
  self.system.inspect({
    next: (ev: any) => {
      if (ev.type !== '@xstate.microstep' || !sink || ev.actorRef !== self) return;
      sink.transitions.push(...ev._transitions);
      sink.microsnapshots.push(ev.snapshot);
    },
  });
  const scope: any = {
    self, id: '', sessionId: '', system: self.system, defer() {}, logger() {}, stopChild() {}, emit() {},
    actionExecutor: (action: any) => sink?.actions.push({ type: action.type, params: action.params }),
  };
  const recording = <T>(run: () => T): [T, Omit<StepRecord, 'prev' | 'event' | 'next'>] => {
    const record = (sink = { transitions: [], microsnapshots: [], actions: [] });
    try {
      return [run(), record];
    } finally {
      sink = null;
    }
  };
  /** The initial snapshot, with what its initial microsteps did (eventless transitions taken on start). */
  const initial = (input: unknown): Start => {
    const [snapshot, record] = recording(() => machine.getInitialSnapshot(scope, input) as AnyMachineSnapshot);
    return { snapshot, ...record };
  };
  const step = (prev: AnyMachineSnapshot, event: Variant): StepRecord => {
    const [next, record] = recording(() => machine.transition(prev, event, scope) as AnyMachineSnapshot);
    return { prev, event, next, ...record };
  };
  /** JSON round trip of the persisted snapshot, then restore, as the registry does between two processes. */
  const roundTrip = (snapshot: AnyMachineSnapshot): AnyMachineSnapshot => {
    const persisted = JSON.parse(JSON.stringify(machine.getPersistedSnapshot(snapshot)));
    return machine.restoreSnapshot(persisted, scope) as AnyMachineSnapshot;
  };
  /** The machine as graph logic whose transitions go through this scope (xstate/graph calls them unbound). */
  const logic = Object.create(machine, {
    transition: { value: (s: AnyMachineSnapshot, e: EventObject) => machine.transition(s, e, scope) },
    getInitialSnapshot: { value: (_scope: unknown, input: unknown) => machine.getInitialSnapshot(scope, input) },
  }) as AnyStateMachine;
  return { machine, scope, initial, step, roundTrip, logic };
}
export type Stepper = ReturnType<typeof stepper>;

/** How one model is explored: its finite projection of a snapshot, and the payload variants offered in a state. */
export interface ModelSpec {
  project: (snapshot: AnyMachineSnapshot) => unknown;
  events: (snapshot: AnyMachineSnapshot) => Variant[];
}

/** Where paths start: a snapshot and what its initial microsteps did (nothing, for a restored record). */
export interface Start {
  snapshot: AnyMachineSnapshot;
  transitions: TransitionDef[];
  microsnapshots: AnyMachineSnapshot[];
  actions: Array<{ type: string; params?: any }>;
}

/** A generated path: the events from the start state, in order. */
export interface ModelPath {
  scenario: string;
  start: Start;
  events: Variant[];
}

/**
 * Generates paths with xstate/graph. The vertex key is (projected state, event variant, projected previous
 * state), so every distinct transition gets its own vertex and therefore its own shortest path (edge coverage).
 * Done snapshots offer no events: a finished actor processes nothing (checked separately at actor level).
 */
export function generatePaths(
  st: Stepper, spec: ModelSpec, start: Start, scenario: string, kind: 'shortest' | 'simple' = 'shortest',
): ModelPath[] {
  const key = (s: AnyMachineSnapshot, e?: EventObject, prev?: AnyMachineSnapshot) =>
    JSON.stringify([spec.project(s), e ? (e as Variant).variant : null, prev ? spec.project(prev) : null]);
  const options = {
    fromState: start.snapshot,
    serializeState: key,
    serializeEvent: (e: EventObject) => (e as Variant).variant,
    events: (s: AnyMachineSnapshot) => (s.status === 'active' ? spec.events(s) : []),
    limit: 200_000,
  };
  const generate = kind === 'shortest' ? getShortestPaths : getSimplePaths;
  // xstate/graph reports each step as (state reached, event that reached it), the first one being xstate.init.
  const paths = generate(st.logic, options as any).map((p) => {
    if (p.steps[0]?.event.type !== 'xstate.init') throw new Error('xstate/graph paths are expected to open with xstate.init');
    return p.steps.slice(1).map((s) => s.event as Variant);
  });
  return maximal(paths).map((events) => ({ scenario, start, events }));
}

/** Drops every path that is a prefix of another one (a shortest-path tree keeps only its leaves). */
function maximal(paths: Variant[][]): Variant[][] {
  const sig = (events: Variant[]) => events.map((e) => e.variant).join('\u0000');
  const prefixes = new Set<string>();
  for (const p of paths) for (let i = 0; i < p.length; i++) prefixes.add(sig(p.slice(0, i)));
  const seen = new Set<string>();
  return paths.filter((p) => {
    const s = sig(p);
    if (prefixes.has(s) || seen.has(s)) return false;
    seen.add(s);
    return true;
  });
}

/**
 * The event a path step names, with its payload built for the snapshot actually reached: a path is a list of
 * variant labels, and payloads such as the current task id depend on history the projection leaves out.
 */
function resolve(spec: ModelSpec, snapshot: AnyMachineSnapshot, event: Variant): Variant {
  const found = spec.events(snapshot).find((v) => v.variant === event.variant);
  if (!found) throw new Error(`variant ${event.variant} is not offered in ${JSON.stringify(snapshot.value)}`);
  return found;
}

/**
 * Replays many paths, stepping each distinct prefix once: paths that share a prefix share its StepRecord objects,
 * so callers can memoize per record (a record stands for one prefix, hence for one consistent history).
 */
export function replayAll(st: Stepper, spec: ModelSpec, paths: ModelPath[]): StepRecord[][] {
  const memo = new Map<string, StepRecord>();
  return paths.map((path) => {
    const steps: StepRecord[] = [];
    let sig = `${path.scenario}\u0001`;
    let snapshot = path.start.snapshot;
    for (const event of path.events) {
      sig += `${event.variant}\u0000`;
      let record = memo.get(sig);
      if (!record) memo.set(sig, (record = st.step(snapshot, resolve(spec, snapshot, event))));
      steps.push(record);
      snapshot = record.next;
    }
    return steps;
  });
}

/** Replays one path through the stepper, recording every step. */
export function replay(st: Stepper, spec: ModelSpec, path: ModelPath): StepRecord[] {
  return replayAll(st, spec, [path])[0]!;
}

/** Every state id of the chart (root included), read from the definition by machineGraph(). */
export function stateIds(machine: AnyStateMachine): string[] {
  const ids: string[] = [];
  const walk = (n: GraphNode) => { ids.push(n.id); n.children.forEach(walk); };
  walk(machineGraph(machine).root);
  return ids;
}

/** Edge label for messages: "source → target on event [guard]". */
export const edgeName = (e: GraphEdge) => `${e.source} → ${e.target} on ${e.event}${e.guard ? ` [${e.guard}]` : ''}`;

/**
 * Maps each transition definition to its machineGraph() edges. machineGraph pushes one edge per target of each
 * transition, walking node.transitions then node.always depth first; the same walk here yields the same list,
 * which is checked edge by edge so a change in graph.ts fails loudly instead of skewing coverage.
 */
export function edgeIndex(machine: AnyStateMachine): { edges: GraphEdge[]; of: (t: TransitionDef) => number[] } {
  const edges = machineGraph(machine).edges;
  const index = new Map<unknown, number[]>();
  let n = 0;
  const walk = (node: AnyStateNode) => {
    const transitions = [...node.transitions.values()].flat().concat(node.always ?? []);
    for (const t of transitions) {
      const ids: number[] = [];
      for (const target of t.target ?? []) {
        const edge = edges[n];
        const event = t.eventType === '' ? 'always' : t.eventType;
        if (!edge || edge.source !== node.id || edge.target !== target.id || edge.event !== event) {
          throw new Error(`machineGraph edge ${n} does not match the definition walk (${node.id} → ${target.id} on ${event})`);
        }
        ids.push(n++);
      }
      index.set(t, ids);
    }
    Object.values(node.states as Record<string, AnyStateNode>).forEach(walk);
  };
  walk(machine.root);
  if (n !== edges.length) throw new Error(`machineGraph has ${edges.length} edges, the definition walk ${n}`);
  return { edges, of: (t) => index.get(t) ?? [] };
}

/** Coverage of states and machineGraph edges by a set of replayed paths. */
export interface Coverage {
  states: { total: number; reached: number; missing: string[] };
  edges: { total: number; covered: number; missing: string[] };
}

export function coverage(machine: AnyStateMachine, paths: ModelPath[], runs: StepRecord[][]): Coverage {
  const ids = stateIds(machine);
  const { edges, of } = edgeIndex(machine);
  const reached = new Set<string>();
  const covered = new Set<number>();
  const visit = (s: AnyMachineSnapshot) => s._nodes.forEach((n: AnyStateNode) => reached.add(n.id));
  for (const steps of [...paths.map((p) => [p.start]), ...runs]) {
    for (const step of steps) {
      if ('next' in step) visit(step.next);
      else visit(step.snapshot);
      step.microsnapshots.forEach(visit);
      for (const t of step.transitions) {
        reached.add(t.source.id); // a transition is only selected while its source state is active
        of(t).forEach((i) => covered.add(i));
      }
    }
  }
  return {
    states: { total: ids.length, reached: ids.filter((id) => reached.has(id)).length, missing: ids.filter((id) => !reached.has(id)) },
    edges: { total: edges.length, covered: covered.size, missing: edges.filter((_, i) => !covered.has(i)).map(edgeName) },
  };
}

/** The stable part of a snapshot for equality: status, value, context, and each child's persisted snapshot. */
export function snapshotFacts(machine: AnyStateMachine, s: AnyMachineSnapshot): unknown {
  const persisted = machine.getPersistedSnapshot(s) as any;
  return JSON.parse(JSON.stringify({ status: s.status, value: s.value, context: s.context, children: persisted.children }));
}
