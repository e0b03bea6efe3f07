// Turns the run's xstate inspection stream into redacted inspector messages, off the run's call path.
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { redact, redactDeep } from '../adapters/redact.ts';
import { statePath } from '../actors/state-path.ts';

/** One actor as the page draws it. */
export interface WireActor {
  session: string;
  id: string;
  parent: string | null;
  kind: 'run' | 'task' | 'actor';
  /** The actor's logic key in setup({ actors }) ("runWorker"), when it has one. */
  src: string | null;
  status: string;
  /** State path ("running.awaiting") for machines, null for promise/callback actors. */
  state: string | null;
  /** The event that produced this snapshot. */
  event: string | null;
  /** A few facts worth showing (never the whole context). */
  facts: Record<string, unknown>;
}

/** One event delivered to an actor, with its payload as redacted, truncated JSON text. */
export interface WireEvent {
  n: number;
  at: string;
  source: string | null;
  target: string;
  type: string;
  payload: string;
}

/** Raw inspection events waiting for the next drain; beyond this the oldest are dropped. */
export const PENDING_LIMIT = 4096;
const PICTURE_ACTORS = 300;
const RECENT_EVENTS = 300;
const PAYLOAD_CHARS = 4000;

/**
 * The run's `inspect` callback and the current picture (actors and recent events) a page
 * joining late starts from. The callback only appends the event to a bounded queue and
 * schedules a drain with setImmediate; serializing, redacting and broadcasting happen there.
 * xstate snapshots and events are immutable, so reading them a tick later is safe.
 */
export class LiveFeed {
  private readonly pending: InspectionEvent[] = [];
  private scheduled = false;
  private eventCount = 0;
  droppedInspections = 0;
  private readonly actors = new Map<string, WireActor>();
  private readonly recent: WireEvent[] = [];
  private run: { run_id: string; phase: 'started' | 'ended'; state?: string; stopped?: string | null } | null = null;

  constructor(private readonly publish: (message: unknown) => void, private readonly secrets: readonly string[]) {}

  /** For DriveOptions.inspect: synchronous, queue-only, never throws. */
  readonly inspect = (event: InspectionEvent): void => {
    if (event.type !== '@xstate.actor' && event.type !== '@xstate.snapshot' && event.type !== '@xstate.event') return;
    this.pending.push(event);
    if (this.pending.length > PENDING_LIMIT) {
      this.pending.shift();
      this.droppedInspections++;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  };

  /** The run started or ended (ended: after a final drain). */
  runPhase(run_id: string, phase: 'started' | 'ended', detail: { state?: string; stopped?: string | null } = {}): void {
    if (phase === 'ended') this.drain();
    this.run = { run_id, phase, ...detail };
    this.publish({ type: 'run', ...this.run });
  }

  /** Whether a run is (or was) driven live through this feed. */
  get live(): boolean {
    return this.run !== null;
  }

  get runId(): string | null {
    return this.run?.run_id ?? null;
  }

  /** What a page that connects now starts from. */
  picture(): unknown {
    return { type: 'hello', live: this.run !== null, run: this.run, actors: [...this.actors.values()], events: this.recent };
  }

  readonly drain = (): void => {
    this.scheduled = false;
    const batch = this.pending.splice(0, this.pending.length);
    for (const event of batch) {
      try {
        this.take(event);
      } catch {
        // A value the feed cannot describe is skipped; the run never notices.
      }
    }
  };

  private take(event: InspectionEvent): void {
    const ref = event.actorRef as AnyActorRef & { _parent?: AnyActorRef };
    const isRoot = ref.sessionId === event.rootId;
    const known = this.actors.get(ref.sessionId);
    if (event.type === '@xstate.actor') {
      if (!known) this.update(this.blank(ref, isRoot));
      return;
    }
    if (event.type === '@xstate.snapshot') {
      const base = known ?? this.blank(ref, isRoot);
      const snap = event.snapshot as { status?: string; value?: unknown; context?: Record<string, unknown> };
      const state = snap.value === undefined ? null : statePath(snap.value as never);
      const facts = redactDeep(factsOf(base.kind, snap.context), this.secrets);
      this.update({ ...base, status: snap.status ?? 'active', state, event: event.event.type, facts });
      return;
    }
    if (event.type === '@xstate.event') {
      const from = event.sourceRef as (AnyActorRef | undefined);
      const source = from ? (from.sessionId === event.rootId ? 'run' : from.id) : null;
      const wire: WireEvent = {
        n: ++this.eventCount, at: new Date().toISOString(), source, target: isRoot ? 'run' : ref.id,
        type: event.event.type, payload: this.payloadOf(event.event),
      };
      this.recent.push(wire);
      if (this.recent.length > RECENT_EVENTS) this.recent.shift();
      this.publish({ type: 'event', event: wire });
    }
  }

  private blank(ref: AnyActorRef & { _parent?: AnyActorRef }, isRoot: boolean): WireActor {
    const id = isRoot ? 'run' : ref.id;
    const kind = isRoot ? 'run' : id.startsWith('task:') ? 'task' : 'actor';
    const src = typeof ref.src === 'string' ? ref.src : null;
    return { session: ref.sessionId, id, parent: ref._parent?.sessionId ?? null, kind, src, status: 'active', state: null, event: null, facts: {} };
  }

  private update(actor: WireActor): void {
    this.actors.set(actor.session, actor);
    // Settled tasks stay visible; only the oldest are forgotten on very long runs.
    if (this.actors.size > PICTURE_ACTORS) {
      const oldest = [...this.actors.values()].find((a) => a.kind !== 'run');
      if (oldest) this.actors.delete(oldest.session);
    }
    this.publish({ type: 'actor', actor });
  }

  private payloadOf(event: unknown): string {
    const text = JSON.stringify(plain(event, 0, new WeakSet()), null, 1) ?? 'null';
    const clean = redact(text, this.secrets);
    return clean.length > PAYLOAD_CHARS ? `${clean.slice(0, PAYLOAD_CHARS)}… (${clean.length - PAYLOAD_CHARS} more characters)` : clean;
  }
}

/** The handful of context fields shown beside an actor. */
function factsOf(kind: WireActor['kind'], context: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!context) return {};
  const pick = (keys: string[]) => Object.fromEntries(keys.filter((k) => k in context).map((k) => [k, plain(context[k], 0, new WeakSet())]));
  if (kind === 'run') return pick(['epoch', 'fix_attempts', 'review_attempts', 'dispatches', 'blocker']);
  if (kind === 'task') {
    const task = (context.task ?? {}) as Record<string, unknown>;
    return { task_id: task.task_id, role: task.role, attempt: task.attempt, epoch: task.epoch, retry: task.retry, decision: context.decision, code: context.code };
  }
  return {};
}

/** A JSON-safe copy: actor references become their id, cycles and functions are cut, depth is bounded. */
function plain(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (value === null || typeof value !== 'object') return typeof value === 'function' || typeof value === 'symbol' ? undefined : value;
  if (depth > 6) return '…';
  if (seen.has(value)) return '[cycle]';
  seen.add(value);
  const ref = value as { sessionId?: unknown; send?: unknown; id?: unknown };
  if (typeof ref.sessionId === 'string' && typeof ref.send === 'function') return `[actor ${String(ref.id)}]`;
  if (value instanceof Error) return { error: value.message };
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => plain(v, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value).slice(0, 50)) out[k] = plain(v, depth + 1, seen);
  return out;
}

/** Every string in a value redacted: one implementation for the inspector, the journal and all output. */
export { redactDeep };
