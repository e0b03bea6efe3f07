import { createActor, type AnyMachineSnapshot, type InspectionEvent } from 'xstate';
import { TERMINAL_STATES } from '../machines/states.ts';
import type { Blocker } from '../machines/types.ts';
import { DRIVING, nextPhase, stoppedFor, type DriverEvent, type DriverPhase } from '../machines/driver-rules.ts';
import { redactDeep, secretValues } from '../adapters/redact.ts';
import { startRelayEarly } from '../adapters/output-relay.ts';
import { passedEnvNames } from '../schemas/config.ts';
import type { JournalDraft, JournalEntry } from '../persistence/journal-entries.ts';
import type { Registry, RunSession } from '../persistence/port.ts';
import { runLayout } from '../persistence/layout.ts';
import { RegistryCorruptError, isRegistryProblem } from '../persistence/errors.ts';
import { STATE_ENTRY_TYPES } from '../persistence/journal-rules.ts';
import { checkRecords } from '../persistence/quarantine.ts';
import { keepLeasesRenewed, tryRunLeases } from './leases.ts';
import { provideRunMachine } from './provide.ts';
import { reopenPending, reopenQuotaRun } from './reopen-run.ts';
import { statePath, topState } from './state-path.ts';
import { RunRecorder, type FlushStats } from './run-recorder.ts';
import { transitionObserver } from './transition-observer.ts';
import { watchCancel } from './cancel-watch.ts';
import { runRecords } from '../persistence/run-records.ts';
import { placedMeta, placeTakenOverRun, type RunnerPlacement } from './runner-placement.ts';

/** How far to drive and what to tell the caller along the way. */
export interface DriveOptions {
  registry: Registry;
  runId: string;
  until?: string;
  /** `buran resume`: a run that ended quota_exhausted goes back to its stage and waits for the reset. */
  reopen?: boolean;
  /** Send run.cancel with this reason as soon as the run is restored (buran cancel). */
  cancel?: string;
  maxSteps?: number;
  env?: NodeJS.ProcessEnv;
  killGraceMs?: number;
  /** Aborted on SIGINT/SIGTERM: the run is persisted and left resumable. */
  interrupt?: AbortSignal;
  /** Each journal entry once it is durable (progress output). */
  onEntry?: (entry: JournalEntry) => void;
  /**
   * Every xstate inspection event of the run's actor tree, as it happens (the live inspector).
   * Called synchronously: it must only queue, never block or throw.
   */
  inspect?: (event: InspectionEvent) => void;
  /** Each flush's cost (benchmarks). */
  onFlush?: (stats: FlushStats) => void;
  /** A runner host's own place for a submitted run (`buran worker`); the recorded one otherwise. */
  placement?: RunnerPlacement;
  /** Replaces effect actors by key (benchmarks that measure the driver, not the workers). */
  effects?: Parameters<ReturnType<typeof provideRunMachine>['provide']>[0]['actors'];
}

/** Where the drive left the run. */
export interface DriveResult {
  run_id: string;
  state: string;
  terminal: boolean;
  blocker: Blocker | null;
  stopped: 'until' | 'max_steps' | 'interrupted' | null;
  handoff: unknown;
  /** What the run's agents reported spending (USD), summed in the run's context. */
  cost_usd: number;
}

/** The run actor failed in a way the machine does not model: a bug or a broken environment. */
export class DriveError extends Error {
  constructor(message: string, override readonly cause: unknown) {
    super(message);
    this.name = 'DriveError';
  }
}

/**
 * Drives one recorded run: takes its single-writer session in the registry, starts or restores
 * the run actor, journals every run and worker-task transition and persists the snapshot after
 * each batch, until a terminal state, a requested stop, or an interrupt.
 */
export async function driveRun(options: DriveOptions): Promise<DriveResult> {
  const { registry, runId } = options;
  let session: RunSession | null = null;
  try {
    session = await registry.openRun(runId);
    return await driveSession(options, session);
  } catch (error) {
    // Records that fail validation are set aside, never rewritten (CONTRACT 6).
    if (error instanceof RegistryCorruptError) await registry.quarantine(runId, error);
    throw error;
  } finally {
    await session?.release();
  }
}

async function driveSession(options: DriveOptions, session: RunSession): Promise<DriveResult> {
  const { registry, runId } = options;
  const meta = placedMeta(await registry.readMeta(runId), registry.workRoot, options.placement);
  checkRecords({ snapshot: registry.recordName(runId, 'snapshot'), journal: registry.recordName(runId, 'journal') }, runId, session.snapshot, session.existing);
  // A quota_exhausted run that is resumed goes back to its stage (CONTRACT 4); a crash between
  // the two writes of that step is finished here, never taken for a step after the end.
  const ended = session.snapshot;
  if (ended !== null && TERMINAL_STATES.has(ended.state) && (options.reopen || reopenPending(ended, session.existing))) {
    await reopenQuotaRun(session, new Date(), () => tryRunLeases(registry, meta, new Date()));
  }
  const stored = session.snapshot;
  const restored = (stored?.snapshot ?? null) as unknown as AnyMachineSnapshot | null;
  if (restored !== null && TERMINAL_STATES.has(stored!.state)) {
    const after = session.existing.find((e) => e.seq > stored!.seq && STATE_ENTRY_TYPES.has(e.type));
    if (after) throw new RegistryCorruptError(registry.recordName(runId, 'journal'), `seq ${after.seq} records a step after the run ended in ${stored!.state}`);
    return resultOf(runId, restored, null);
  }

  // Workers' and commands' output goes through the log relay: started now, while the run is restored.
  startRelayEarly();
  // The recorded packet is a record like any other: damaged or missing, the run is quarantined.
  const packet = await registry.readPacket(runId);
  const env = options.env ?? process.env;
  // The values of secret-named variables and of every variable the config passes by name (DB_URL
  // is as secret as GITHUB_TOKEN once a worker is given it).
  const secrets = secretValues(env, passedEnvNames(meta.config));
  let phase: DriverPhase = DRIVING;
  const stop = new AbortController();
  const inFlight = new Set<Promise<unknown>>();
  let settle: () => void = () => {};
  let actor: ReturnType<typeof createActor<ReturnType<typeof provideRunMachine>>> | null = null;

  // Every event goes through the lifecycle's one rule; what the driver does follows the phase.
  const dispatch = (event: DriverEvent) => {
    const before = phase;
    phase = nextPhase(phase, event, options);
    if (phase === before || before.kind !== 'driving') return;
    if (phase.kind === 'stopping') {
      // A deliberate stop takes effect at the step that asked for it: that snapshot is the one
      // persisted, later steps are not recorded, and no effect starts anything new.
      recorder.freeze(actor!.getPersistedSnapshot() as AnyMachineSnapshot);
    }
    if (phase.kind === 'stopping' || phase.kind === 'halting') {
      observer.mute();
      stop.abort();
      settle();
    }
  };
  const halt = (cause: 'contradiction' | 'registry', error: unknown) => dispatch({ type: 'halt', cause, error });
  const recorder = new RunRecorder(
    runId, session, () => actor!.getPersistedSnapshot() as AnyMachineSnapshot, stored?.seq ?? 0, options.onEntry, options.onFlush,
    (error) => halt('registry', error),
  );
  // Everything journalled is redacted on the way in, whatever effect or observer wrote it.
  const record = (draft: JournalDraft) => {
    const fresh = recorder.record(redactDeep(draft, secrets));
    if (recorder.contradiction !== null) halt('contradiction', recorder.contradiction);
    return fresh;
  };
  const observer = transitionObserver(restored, {
    draft: record,
    touch: () => recorder.touch(),
    step: (to, fresh) => dispatch({ type: 'step', to, fresh }),
  });
  const layout = runLayout(registry.workRoot, runId);
  const provided = provideRunMachine({
    registry, layout, records: runRecords(registry, runId), meta, plan: meta.input.plan, packet, env,
    secrets, killGraceMs: options.killGraceMs ?? 2000, now: () => new Date(),
    record, stopSignal: stop.signal, halt: (error) => halt('registry', error),
    track: (work) => {
      inFlight.add(work);
      void work.then(() => inFlight.delete(work), () => inFlight.delete(work));
      return work;
    },
  });
  const machine = options.effects ? provided.provide({ actors: options.effects }) : provided;
  const watch = options.inspect;
  const inspect = watch === undefined
    ? observer.inspect
    : (event: InspectionEvent) => {
      observer.inspect(event);
      try { watch(event); } catch { /* an observer never affects the run */ }
    };
  actor = restored
    ? createActor(machine, { snapshot: restored as never, input: meta.input as never, inspect })
    : createActor(machine, { input: meta.input as never, inspect });
  actor.on('task.duplicate', (emitted) => record({ type: 'task.duplicate', task_id: emitted.task_id, message: emitted.message }));

  const finished = new Promise<void>((resolve) => {
    settle = resolve;
    actor!.subscribe({
      complete: () => { dispatch({ type: 'done' }); resolve(); },
      // An effect aborted by a deliberate stop may reject after it: that is not a failure.
      error: (error) => { dispatch({ type: 'halt', cause: 'actor_failed', error }); resolve(); },
    });
  });
  const onInterrupt = () => dispatch({ type: 'interrupt' });
  options.interrupt?.addEventListener('abort', onInterrupt, { once: true });
  const stopRenewing = keepLeasesRenewed(registry, meta, (message) => record({ type: 'lease.renew_failed', message }));
  if (options.placement !== undefined) {
    await placeTakenOverRun({
      registry, meta, placement: options.placement, state: stored === null ? null : stored.state, env, secrets,
      killGraceMs: options.killGraceMs ?? 2000, record, signal: stop.signal,
    });
  }
  actor.start();
  // A cancel (asked here, or by `buran cancel` from another shell or host through the registry) is
  // sent once the run has re-executed the steps its journal holds: during that replay it would
  // contradict them. Before a restored effect gets past its first await, nothing new has started.
  const stopWatching = watchCancel({
    asked: options.cancel, session, recorder, active: () => phase.kind === 'driving',
    send: (reason) => actor!.send({ type: 'run.cancel', reason }),
  });
  if (options.interrupt?.aborted) onInterrupt();
  await finished;
  stopWatching();
  stopRenewing();
  options.interrupt?.removeEventListener('abort', onInterrupt);
  return finish(options, phase, actor.getSnapshot() as AnyMachineSnapshot, { actor, stop, inFlight, recorder, session, record });
}

/** One way to finish: workers stopped and journalled, leases released when the run ended, the journal flushed, the outcome told. */
async function finish(
  options: DriveOptions, phase: DriverPhase, final: AnyMachineSnapshot,
  parts: { actor: { stop(): void }; stop: AbortController; inFlight: Set<Promise<unknown>>; recorder: RunRecorder; session: RunSession; record: (draft: JournalDraft) => unknown },
): Promise<DriveResult> {
  const { registry, runId } = options;
  if (phase.kind !== 'finished') {
    parts.stop.abort();
    parts.actor.stop();
  }
  // Workers' groups are stopped (a run cancelled mid-task has one still going) and journalled
  // before the leases go and the driver lets go of the run.
  await Promise.allSettled([...parts.inFlight]);
  if (phase.kind === 'finished') {
    // A finished run's claims hold no one (a terminal holder is not live), so a table that
    // cannot be changed now (damaged, disk full) is journalled, not a reason to fail the run.
    await registry.releaseLeases(runId).catch((error: unknown) =>
      parts.record({ type: 'lease.release_failed', message: error instanceof Error ? error.message : String(error) }));
  }
  await parts.recorder.close();
  if (phase.kind === 'halting') {
    if (phase.cause === 'registry' || isRegistryProblem(phase.error)) throw phase.error;
    if (phase.cause === 'contradiction') throw new RegistryCorruptError(registry.recordName(runId, 'journal'), `the journal contradicts the run: ${String(phase.error)}`);
    throw new DriveError(`the run actor failed: ${(phase.error as Error)?.message ?? String(phase.error)}`, phase.error);
  }
  const reported = phase.kind === 'stopping' ? (JSON.parse(JSON.stringify(parts.session.snapshot?.snapshot)) as AnyMachineSnapshot) : final;
  return resultOf(runId, reported, stoppedFor(phase));
}

function resultOf(runId: string, snapshot: AnyMachineSnapshot, stopped: DriveResult['stopped']): DriveResult {
  const state = topState(statePath(snapshot.value));
  const context = snapshot.context as { blocker: Blocker | null; handoff: unknown; cost_usd?: number };
  return {
    run_id: runId, state, terminal: TERMINAL_STATES.has(state), blocker: context.blocker, stopped, handoff: context.handoff,
    cost_usd: context.cost_usd ?? 0,
  };
}
