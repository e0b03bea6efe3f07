/**
 * What a dispatch does, decided from what its records and the host show (pure: the adapter
 * gathers the facts, performs the step and reports what it saw). A recorded outcome is returned
 * before this is asked; everything else is reconciled here, so a task is never started twice
 * while its first worker may still run, and a driver that dies at every start does not loop.
 */
export type DispatchStep =
  /** A worker a previous driver started is still running: wait for it (its completion is the evidence). */
  | { kind: 'adopt' }
  /** A completion is there (the worker ended while no driver watched): take it. */
  | { kind: 'ingest' }
  /** Started again and again with no driver living to record its process: an interruption, bounded. */
  | { kind: 'lost'; unwatched: true; message: string }
  /** No trace of a worker that could still come back: start one (again). */
  | { kind: 'start'; unrecordedStarts: number }
  /** The worker ran on a runner host that is gone (a takeover): its slot and process are there, not here; started again, no retry spent. */
  | { kind: 'restart_here'; previousHost: string };

export interface DispatchFacts {
  /** The dispatch intent as recorded, or null when the dispatch never began. */
  intent: { process: { pid: number } | null; interrupted: boolean; starts?: number; host?: string } | null;
  /** This host's name: an intent recorded by another host is that host's business, not this one's. */
  host: string;
  /** The recorded process (or, with none recorded, one carrying the task's ids) is alive. */
  live: boolean;
  /** A completion is in the task's slot (read only when no worker is live). */
  completionFound: boolean;
}

/** Starts of one task whose process no driver recorded, before that counts as an interruption. */
export const MAX_UNRECORDED_STARTS = 3;

export function planDispatch({ intent, live, completionFound, host }: DispatchFacts): DispatchStep {
  if (intent?.host !== undefined && intent.host !== host) return { kind: 'restart_here', previousHost: intent.host };
  if (intent !== null && live) return { kind: 'adopt' };
  if (completionFound) return { kind: 'ingest' };
  if (intent === null) return { kind: 'start', unrecordedStarts: 0 };
  const starts = intent.starts ?? 1;
  if (intent.process === null) {
    // A start whose driver died before it could record the process, again and again (a worker
    // that takes its driver down at once): reported like any process no driver watched end.
    if (!intent.interrupted && starts >= MAX_UNRECORDED_STARTS) {
      return { kind: 'lost', unwatched: true, message: `it was started ${starts} time(s) and no driver lived to record its process; it left no completion` };
    }
    // A start that never got a process is no evidence a worker ran: it is started again.
    return { kind: 'start', unrecordedStarts: starts };
  }
  // A process ran and ended unwatched without a completion: a fact the run machine decides on.
  if (!intent.interrupted) {
    return { kind: 'lost', unwatched: true, message: `its process (pid ${intent.process.pid}) ended while no driver was watching and left no completion` };
  }
  // Stopped on purpose by an earlier driver: started afresh.
  return { kind: 'start', unrecordedStarts: 0 };
}
