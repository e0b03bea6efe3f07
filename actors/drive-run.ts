import { createActor, type AnyMachineSnapshot, type InspectionEvent } from 'xstate';
import { TERMINAL_STATES } from '../machines/states.ts';
import type { Blocker } from '../machines/types.ts';
import { redactDeep, secretValues } from '../adapters/redact.ts';
import { startRelayEarly } from '../adapters/output-relay.ts';
import { passedEnvNames } from '../schemas/config.ts';
import { openJournal, type JournalDraft } from '../persistence/journal.ts';
import type { JournalEntry } from '../persistence/records.ts';
import { findRun, readRunMeta } from '../persistence/registry.ts';
import { acquireRunLock } from '../persistence/run-lock.ts';
import { openSnapshotStore } from '../persistence/snapshot-store.ts';
import { releaseLeases } from '../persistence/lease.ts';
import { keepLeasesRenewed, tryRunLeases } from './leases.ts';
import { RegistryCorruptError } from '../persistence/errors.ts';
import { STATE_ENTRY_TYPES } from '../persistence/journal-rules.ts';
import { checkRunRecords, quarantineRun, refuseIfQuarantined } from '../persistence/quarantine.ts';
import { readJsonRecord } from '../persistence/record-file.ts';
import { provideRunMachine } from './provide.ts';
import { cancelRequested, readCancelRequest } from '../persistence/cancel-request.ts';
import { ensureRegistryRoot } from '../persistence/registry-root.ts';
import { reopenPending, reopenQuotaRun } from './reopen-run.ts';
import { statePath, topState } from './state-path.ts';
import { RunRecorder, type FlushStats } from './run-recorder.ts';
import { transitionObserver } from './transition-observer.ts';

// How often a driver looks for a cancel request from another process (a stat, no read).
const CANCEL_POLL_MS = 200;

/** How far to drive and what to tell the caller along the way. */
export interface DriveOptions {
  registryRoot: string;
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
 * Drives one recorded run: takes its single-writer lock, starts or restores the run actor,
 * journals every run and worker-task transition (fsync'd) and persists the snapshot after
 * each batch, until a terminal state, a requested stop, or an interrupt.
 */
export async function driveRun(options: DriveOptions): Promise<DriveResult> {
  const layout = await findRun(options.registryRoot, options.runId);
  await refuseIfQuarantined(layout);
  // Registries made before the root had its .gitignore get it now (it keeps them out of git).
  await ensureRegistryRoot(options.registryRoot);
  const lock = await acquireRunLock(layout.lock, options.runId);
  try {
    return await driveLocked(options, layout);
  } catch (error) {
    // Records that fail validation are set aside, never rewritten (CONTRACT 6).
    if (error instanceof RegistryCorruptError) await quarantineRun(layout, error);
    throw error;
  } finally {
    await lock.release();
  }
}

async function driveLocked(options: DriveOptions, layout: Awaited<ReturnType<typeof findRun>>): Promise<DriveResult> {
  const meta = await readRunMeta(layout);
  const store = await openSnapshotStore(layout.snapshot);
  const journal = await openJournal(layout.journal);
  try {
    checkRunRecords(layout, options.runId, store.current, journal.existing);
  } catch (error) {
    await journal.close();
    throw error;
  }
  // A quota_exhausted run that is resumed goes back to its stage (CONTRACT 4); a crash between
  // the two writes of that step is finished here, never taken for a step after the end.
  if (store.current !== null && TERMINAL_STATES.has(store.current.state) && (options.reopen || reopenPending(store.current, journal.existing))) {
    await reopenQuotaRun(store, journal, new Date(), () => tryRunLeases(options.registryRoot, meta, new Date())).catch(async (error: unknown) => {
      await journal.close();
      throw error;
    });
  }
  const restored = (store.current?.snapshot ?? null) as unknown as AnyMachineSnapshot | null;
  if (restored !== null && TERMINAL_STATES.has(store.current!.state)) {
    await journal.close();
    const after = journal.existing.find((e) => e.seq > store.current!.seq && STATE_ENTRY_TYPES.has(e.type));
    if (after) throw new RegistryCorruptError(layout.journal, `seq ${after.seq} records a step after the run ended in ${store.current!.state}`);
    return resultOf(options.runId, restored, null);
  }

  // Workers' and commands' output goes through the log relay: started now, while the run is restored.
  startRelayEarly();
  // The recorded packet is a record like any other: damaged or missing, the run is quarantined.
  const packet = await readJsonRecord(layout.packet, (v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v), 'packet (an object)');
  if (packet === null) throw new RegistryCorruptError(layout.packet, 'missing');
  const env = options.env ?? process.env;
  // The values of secret-named variables and of every variable the config passes by name (DB_URL
  // is as secret as GITHUB_TOKEN once a worker is given it).
  const secrets = secretValues(env, passedEnvNames(meta.config));
  // Everything journalled is redacted on the way in, whatever effect or observer wrote it.
  const record = (draft: JournalDraft) => recorder.record(redactDeep(draft, secrets));
  const stop = new AbortController();
  const inFlight = new Set<Promise<unknown>>();
  let stopReason: DriveResult['stopped'] = null;
  let steps = 0;
  let settle: () => void = () => {};
  let actor: ReturnType<typeof createActor<ReturnType<typeof provideRunMachine>>> | null = null;
  // A registry problem met on the way (a damaged record, a full disk): the run stops where it is.
  let registryProblem: unknown = null;
  const haltFor = (error: unknown) => {
    registryProblem ??= error;
    halt();
  };
  const recorder = new RunRecorder(
    options.runId, journal, store, () => actor!.getPersistedSnapshot() as AnyMachineSnapshot, store.current?.seq ?? 0, options.onEntry, options.onFlush,
    haltFor,
  );

  // A deliberate stop takes effect at the transition that asked for it: that snapshot is the
  // one persisted, later transitions are not recorded, and no effect starts anything new.
  const stopAt = (reason: NonNullable<DriveResult['stopped']>) => {
    if (stopReason !== null || actor === null) return;
    stopReason = reason;
    recorder.freeze(actor.getPersistedSnapshot() as AnyMachineSnapshot);
    observer.mute();
    stop.abort();
    settle();
  };
  const halt = () => {
    observer.mute();
    stop.abort();
    settle();
  };
  const observer = transitionObserver(restored, {
    draft: (draft) => {
      const fresh = record(draft);
      if (recorder.contradiction !== null) halt();
      return fresh;
    },
    touch: () => recorder.touch(),
    step: (to, fresh) => {
      // Steps re-executed to bring the snapshot forward were taken before; they do not count.
      if (!fresh) return;
      steps++;
      if (TERMINAL_STATES.has(topState(to))) return;
      if (options.maxSteps !== undefined && steps >= options.maxSteps) stopAt('max_steps');
      else if (options.until !== undefined && topState(to) === options.until) stopAt('until');
    },
  });
  const provided = provideRunMachine({
    registryRoot: options.registryRoot, layout, meta, plan: meta.input.plan, packet, env,
    secrets, killGraceMs: options.killGraceMs ?? 2000, now: () => new Date(),
    record, stopSignal: stop.signal, halt: haltFor,
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

  let failure: unknown = null;
  const finished = new Promise<void>((resolve) => {
    settle = resolve;
    actor!.subscribe({
      complete: resolve,
      // An effect aborted by a deliberate stop may reject after it: that is not a failure.
      error: (error) => { if (stopReason === null) failure = error; resolve(); },
    });
  });
  const onInterrupt = () => stopAt('interrupted');
  options.interrupt?.addEventListener('abort', onInterrupt, { once: true });
  const stopRenewing = keepLeasesRenewed(options.registryRoot, meta, (message) => record({ type: 'lease.renew_failed', message }));
  actor.start();
  // A cancel (asked here, or by `buran cancel` from another shell through the run's cancel
  // request) is sent once the run has re-executed the steps its journal already holds: sent
  // during that replay it would contradict them. Before a restored effect gets past its first
  // await, nothing new has started.
  let cancelSent = false;
  const sendCancel = async () => {
    if (cancelSent || recorder.replaying || stopReason !== null) return;
    const reason = options.cancel ?? (cancelRequested(layout) ? (await readCancelRequest(layout))?.reason : undefined);
    if (reason === undefined || cancelSent) return;
    cancelSent = true;
    actor!.send({ type: 'run.cancel', reason });
  };
  recorder.whenCaughtUp(() => { void sendCancel(); });
  const cancelPoll = setInterval(() => { void sendCancel(); }, CANCEL_POLL_MS);
  cancelPoll.unref();
  if (options.interrupt?.aborted) onInterrupt();
  await finished;
  clearInterval(cancelPoll);
  stopRenewing();
  options.interrupt?.removeEventListener('abort', onInterrupt);

  const final = actor.getSnapshot() as AnyMachineSnapshot;
  if (failure !== null || registryProblem !== null || final.status !== 'done') {
    observer.mute();
    stop.abort();
    actor.stop();
    // Workers' groups are killed and their interruption recorded before the journal closes.
    await Promise.allSettled([...inFlight]);
  } else {
    // A run cancelled mid-task has its worker's group still being stopped: that finishes (and is
    // journalled) before the leases go and the driver lets go of the run.
    await Promise.allSettled([...inFlight]);
    await releaseFinishedLeases(options.registryRoot, options.runId, recorder);
  }
  await recorder.close();
  if (registryProblem !== null) throw registryProblem;
  if (recorder.contradiction !== null) throw new RegistryCorruptError(layout.journal, `the journal contradicts the run: ${recorder.contradiction}`);
  if (failure !== null) throw new DriveError(`the run actor failed: ${(failure as Error)?.message ?? String(failure)}`, failure);
  const reported = stopReason === null ? final : (JSON.parse(JSON.stringify(store.current?.snapshot)) as AnyMachineSnapshot);
  return resultOf(options.runId, reported, stopReason);
}

// A finished run's claims no longer hold anyone (a terminal holder is not live), so a table that
// cannot be changed now (damaged, disk full) is journalled, not a reason to fail a finished run.
async function releaseFinishedLeases(root: string, runId: string, recorder: RunRecorder): Promise<void> {
  try {
    await releaseLeases(root, runId);
  } catch (error) {
    recorder.record({ type: 'lease.release_failed', message: error instanceof Error ? error.message : String(error) });
  }
}

function resultOf(runId: string, snapshot: AnyMachineSnapshot, stopped: DriveResult['stopped']): DriveResult {
  const state = topState(statePath(snapshot.value));
  const context = snapshot.context as { blocker: Blocker | null; handoff: unknown; cost_usd?: number };
  return {
    run_id: runId, state, terminal: TERMINAL_STATES.has(state), blocker: context.blocker, stopped, handoff: context.handoff,
    cost_usd: context.cost_usd ?? 0,
  };
}
