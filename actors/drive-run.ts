import { readFile } from 'node:fs/promises';
import { createActor, type AnyMachineSnapshot, type InspectionEvent } from 'xstate';
import { TERMINAL_STATES } from '../machines/states.ts';
import type { Blocker } from '../machines/types.ts';
import { secretValues } from '../adapters/redact.ts';
import { openJournal, type JournalDraft } from '../persistence/journal.ts';
import type { JournalEntry } from '../persistence/records.ts';
import { SCHEMA_VERSION } from '../persistence/records.ts';
import { findRun, readRunMeta } from '../persistence/registry.ts';
import { acquireRunLock } from '../persistence/run-lock.ts';
import { openSnapshotStore } from '../persistence/snapshot-store.ts';
import { releaseLease } from '../persistence/lease.ts';
import { provideRunMachine } from './provide.ts';
import { statePath, topState } from './state-path.ts';
import { describeEvent } from './describe-event.ts';

// Events journalled as run transitions even when the state path does not change (a retry re-enters its stage).
const RECORDED_EVENTS = new Set(['task.settled', 'run.cancel']);

/** How far to drive and what to tell the caller along the way. */
export interface DriveOptions {
  registryRoot: string;
  runId: string;
  until?: string;
  maxSteps?: number;
  env?: NodeJS.ProcessEnv;
  killGraceMs?: number;
  /** Aborted on SIGINT/SIGTERM: the run is persisted and left resumable. */
  interrupt?: AbortSignal;
  /** Each journal entry once it is durable (progress output). */
  onEntry?: (entry: JournalEntry) => void;
}

/** Where the drive left the run. */
export interface DriveResult {
  run_id: string;
  state: string;
  terminal: boolean;
  blocker: Blocker | null;
  stopped: 'until' | 'max_steps' | 'interrupted' | null;
  handoff: unknown;
}

/** The run actor failed in a way the machine does not model: a bug or a broken environment. */
export class DriveError extends Error {
  constructor(message: string, override readonly cause: unknown) {
    super(message);
    this.name = 'DriveError';
  }
}

/**
 * Drives one recorded run: takes its single-writer lock, starts or restores the run actor,
 * journals every run and worker-task transition (fsync'd) and persists the snapshot after
 * each batch, until a terminal state, a requested stop, or an interrupt.
 */
export async function driveRun(options: DriveOptions): Promise<DriveResult> {
  const layout = await findRun(options.registryRoot, options.runId);
  const lock = await acquireRunLock(layout.lock, options.runId);
  try {
    return await driveLocked(options, layout);
  } finally {
    await lock.release();
  }
}

async function driveLocked(options: DriveOptions, layout: Awaited<ReturnType<typeof findRun>>): Promise<DriveResult> {
  const meta = await readRunMeta(layout);
  const store = await openSnapshotStore(layout.snapshot);
  const restored = store.current;
  if (restored !== null && TERMINAL_STATES.has(restored.state)) return resultOf(options.runId, restored.snapshot as unknown as AnyMachineSnapshot, null);

  const journal = await openJournal(layout.journal);
  const packet: unknown = JSON.parse(await readFile(layout.packet, 'utf8'));
  const env = options.env ?? process.env;
  const stop = new AbortController();
  const inFlight = new Set<Promise<unknown>>();
  const pending: JournalDraft[] = [];
  let closed = false;
  let dirty = false;
  let flushing: Promise<void> | null = null;
  let stopReason: DriveResult['stopped'] = null;
  let steps = 0;
  let wake: () => void = () => {};

  const record = (draft: JournalDraft) => {
    if (closed) return;
    pending.push(draft);
    scheduleFlush();
  };
  const machine = provideRunMachine({
    registryRoot: options.registryRoot, layout, meta, plan: meta.input.plan, packet, env,
    secrets: secretValues(env), killGraceMs: options.killGraceMs ?? 2000, now: () => new Date(), record,
    stopSignal: stop.signal,
    track: (work) => {
      inFlight.add(work);
      void work.then(() => inFlight.delete(work), () => inFlight.delete(work));
      return work;
    },
  });

  let rootPath: string | null = restored ? statePath((restored.snapshot as unknown as AnyMachineSnapshot).value) : null;
  const taskPaths = new Map<string, string>(childPaths(restored?.snapshot));
  const inspect = (event: InspectionEvent) => {
    if (closed) return;
    if (event.type === '@xstate.event' && event.actorRef.sessionId === event.rootId && event.event.type === 'task.settled') {
      // The child's final state is announced after the parent has acted on it; journal it first.
      const outcome = (event.event as unknown as { outcome: { task_id: string; status: string } }).outcome;
      const id = `task:${outcome.task_id}`;
      if (taskPaths.get(id) !== outcome.status) {
        pending.push({ type: 'task.transition', task_id: outcome.task_id, from: taskPaths.get(id) ?? null, to: outcome.status });
        taskPaths.set(id, outcome.status);
      }
      return;
    }
    if (event.type !== '@xstate.snapshot') return;
    const snapshot = event.snapshot as AnyMachineSnapshot;
    if (event.actorRef.sessionId === event.rootId) {
      if (snapshot.status === 'error') return;
      const to = statePath(snapshot.value);
      if (to !== rootPath || RECORDED_EVENTS.has(event.event.type)) {
        pending.push({ type: rootPath === null ? 'run.created' : 'run.transition', from: rootPath, to, ...describeEvent(event.event) });
        rootPath = to;
        steps++;
        if (options.maxSteps !== undefined && steps >= options.maxSteps) stopReason ??= 'max_steps';
        if (options.until !== undefined && topState(to) === options.until) stopReason ??= 'until';
      }
    } else {
      const id = (event.actorRef as { id?: string }).id ?? '';
      if (id.startsWith('task:') && snapshot.value !== undefined) {
        const to = statePath(snapshot.value);
        const from = taskPaths.get(id) ?? null;
        if (to !== from) {
          pending.push({ type: 'task.transition', task_id: id.slice('task:'.length), from, to });
          taskPaths.set(id, to);
        }
      }
    }
    dirty = true;
    scheduleFlush();
  };

  const actor = restored
    ? createActor(machine, { snapshot: restored.snapshot as never, input: meta.input as never, inspect })
    : createActor(machine, { input: meta.input as never, inspect });
  actor.on('task.duplicate', (emitted) => record({ type: 'task.duplicate', task_id: emitted.task_id, message: emitted.message }));

  function scheduleFlush() {
    if (closed) return;
    flushing ??= Promise.resolve().then(flushLoop).finally(() => { flushing = null; wake(); });
  }
  async function flushLoop() {
    while (!closed && (pending.length > 0 || dirty)) {
      // Taken together, between macrosteps: the snapshot never runs ahead of the journal.
      const batch = pending.splice(0);
      const snapshot = actor.getPersistedSnapshot() as AnyMachineSnapshot;
      dirty = false;
      if (snapshot.status === 'error') return;
      const entries = await journal.append(batch, new Date());
      await store.save({
        schema_version: SCHEMA_VERSION, run_id: options.runId, seq: journal.lastSeq,
        state: topState(statePath(snapshot.value)), updated_at: new Date().toISOString(), snapshot: snapshot as never,
      });
      for (const entry of entries) options.onEntry?.(entry);
    }
  }

  let failure: unknown = null;
  const finished = new Promise<void>((resolve) => {
    actor.subscribe({ complete: resolve, error: (error) => { failure = error; resolve(); } });
    wake = () => { if (stopReason !== null || options.interrupt?.aborted) resolve(); };
    options.interrupt?.addEventListener('abort', () => { stopReason ??= 'interrupted'; if (flushing === null) resolve(); }, { once: true });
  });
  actor.start();
  await finished;
  while (flushing !== null) await flushing;
  closed = true;
  if (failure !== null) {
    stop.abort();
    actor.stop();
    await Promise.allSettled([...inFlight]);
    await journal.close();
    throw new DriveError(`the run actor failed: ${(failure as Error)?.message ?? String(failure)}`, failure);
  }
  const final = actor.getSnapshot() as AnyMachineSnapshot;
  if (final.status !== 'done') {
    stop.abort();
    actor.stop();
    await Promise.allSettled([...inFlight]);
  } else {
    stopReason = null;
    await releaseLease(options.registryRoot, `workspace:${meta.workspace}`, options.runId);
  }
  await journal.close();
  return resultOf(options.runId, final, stopReason);
}

function resultOf(runId: string, snapshot: AnyMachineSnapshot, stopped: DriveResult['stopped']): DriveResult {
  const state = topState(statePath(snapshot.value));
  const context = snapshot.context as { blocker: Blocker | null; handoff: unknown };
  return { run_id: runId, state, terminal: TERMINAL_STATES.has(state), blocker: context.blocker, stopped, handoff: context.handoff };
}

function childPaths(snapshot: unknown): [string, string][] {
  const children = (snapshot as { children?: Record<string, { snapshot?: { value?: unknown } }> } | undefined)?.children ?? {};
  return Object.entries(children)
    .filter(([id, child]) => id.startsWith('task:') && child.snapshot?.value !== undefined)
    .map(([id, child]) => [id, statePath(child.snapshot!.value as never)]);
}
