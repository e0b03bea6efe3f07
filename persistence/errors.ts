/** A registry record that failed validation: it is never overwritten (CONTRACT 6). */
export class RegistryCorruptError extends Error {
  readonly code = 'registry_corrupt';
  constructor(readonly file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'RegistryCorruptError';
  }
}

/** A run or batch id that cannot name a folder of the registry (`..`, `a/b`, ''): refused before anything is read or written. */
export class InvalidIdError extends Error {
  readonly code = 'invalid_id';
  constructor(readonly id: string, what = 'run') {
    super(`${JSON.stringify(id)} is not a ${what} id: use 1-100 letters, digits, ".", "-" or "_", starting with a letter or digit`);
    this.name = 'InvalidIdError';
  }
}

/** The --registry path cannot hold a registry (a file, a pseudo file system, no permission). */
export class RegistryUnusableError extends Error {
  readonly code = 'registry_unusable';
  constructor(readonly root: string, detail: string) {
    super(`--registry ${root}: ${detail}`);
    this.name = 'RegistryUnusableError';
  }
}

/** The database holds a registry schema newer than this build knows: nothing is read or changed. */
export class RegistrySchemaNewerError extends RegistryUnusableError {
  constructor(location: string, readonly databaseVersion: number, readonly knownVersion: number) {
    super(location, `the database has registry schema version ${databaseVersion}, newer than this buran knows (up to ${knownVersion}); `
      + `upgrade buran to a release that knows schema ${databaseVersion} (every host sharing this registry needs one), or point --registry at another database. Nothing was changed`);
    this.name = 'RegistrySchemaNewerError';
  }
}

/**
 * A record every run shares (the lease table) failed validation. It is left untouched and no run
 * is quarantined for it: commands that need it exit 5 naming the file, and a run stops where it
 * is, resumable once the file is fixed.
 */
export class SharedRecordCorruptError extends Error {
  readonly code = 'registry_corrupt';
  constructor(readonly file: string, detail: string, readonly fix: string) {
    super(`${file}: ${detail}`);
    this.name = 'SharedRecordCorruptError';
  }
}

/** A lock whose holder cannot be told apart from an unrelated process that reused its pid. */
export class LockUnverifiedError extends Error {
  readonly code = 'run_locked';
  constructor(readonly runId: string, readonly pid: number, lockFile: string) {
    super(`run ${runId}: its lock names pid ${pid} without a start time, so that process cannot be told from an unrelated one that reused the pid; nothing was signalled. If no buran process drives the run, remove ${lockFile} and run the command again`);
    this.name = 'LockUnverifiedError';
  }
}

/** A run whose recorded workers still run: its workspace is in use. */
export class RunWorkersAliveError extends Error {
  readonly code = 'workers_alive';
  constructor(readonly runId: string, pids: number[]) {
    super(`run ${runId} still has live worker process(es) ${pids.join(', ')} working in its workspace: stop them with "buran cancel ${runId}", then reclaim`);
    this.name = 'RunWorkersAliveError';
  }
}

/** The run is not in the registry. */
export class RunNotFoundError extends Error {
  readonly code = 'run_not_found';
  constructor(readonly runId: string, registry: string) {
    super(`run ${runId} is not in the registry ${registry}: check the id with "buran list"`);
    this.name = 'RunNotFoundError';
  }
}

/** Another live process drives this run (on another host, for a shared registry). */
export class RunLockedError extends Error {
  readonly code = 'run_locked';
  constructor(readonly runId: string, readonly holderPid: number, readonly host?: string) {
    super(host === undefined
      ? `run ${runId} is being driven by process ${holderPid}; wait for it or stop it first`
      : `run ${runId} is being driven by process ${holderPid} on host ${host}; wait for it (a cancel request is seen by that host's driver) or stop it there`);
    this.name = 'RunLockedError';
  }
}

/**
 * A driver's session lost its run: another host took it over (the owner epoch moved on), so this
 * process may no longer write its history. Nothing of the refused write landed; the driver stops
 * its workers and ends without touching the run again.
 */
export class RunOwnershipLostError extends Error {
  readonly code = 'ownership_lost';
  constructor(readonly runId: string, readonly epoch: number | null) {
    super(`run ${runId} was taken over by another host${epoch === null ? '' : ` (this process held owner epoch ${epoch})`}: nothing more of it is written from here, and its workers here must stop`);
    this.name = 'RunOwnershipLostError';
  }
}

/** A run with this id already exists. */
export class RunExistsError extends Error {
  readonly code = 'run_exists';
  constructor(readonly runId: string) {
    super(`run ${runId} already exists: continue it with "buran resume ${runId}" or pick another --run-id`);
    this.name = 'RunExistsError';
  }
}

/** A lease that has not expired is never reclaimed. */
export class LeaseNotExpiredError extends Error {
  readonly code = 'lease_live';
  constructor(readonly runId: string, detail: string) {
    super(`run ${runId} holds lease(s) that have not expired (${detail}); reclaim after that, or cancel the run`);
    this.name = 'LeaseNotExpiredError';
  }
}

/** A run that may still change is never cleaned. */
export class RunNotFinishedError extends Error {
  readonly code = 'run_not_finished';
  constructor(runId: string, state: string, detail = 'its worktree is kept (cancel it first, or let it finish)') {
    super(`run ${runId} is in ${state}, not finished: ${detail}`);
    this.name = 'RunNotFinishedError';
  }
}

/** A batch id that is not in the registry. */
export class BatchNotFoundError extends Error {
  readonly code = 'batch_not_found';
  constructor(batchId: string, registry: string) {
    super(`batch ${batchId} is not in the registry ${registry}: check the id printed when the batch started`);
    this.name = 'BatchNotFoundError';
  }
}

/** A batch id that is taken. */
export class BatchExistsError extends Error {
  readonly code = 'batch_exists';
  constructor(batchId: string) {
    super(`batch ${batchId} already exists: use "buran batch --resume ${batchId}", or another --batch-id`);
    this.name = 'BatchExistsError';
  }
}

/** A run cannot go on now because another run holds what it needs (its leases). */
export class RunBusyError extends Error {
  readonly code = 'run_busy';
  constructor(runId: string, detail: string) {
    super(`run ${runId} cannot be resumed yet: ${detail}; resume it once that run has finished`);
    this.name = 'RunBusyError';
  }
}

/**
 * A problem of the registry itself, met while a run is driven: a damaged record, or a disk too full
 * to write. The driver stops where it is (no transition, no blocker) and reports it, exit 5: the
 * run is quarantined for its own damaged records, and resumable otherwise once the cause is fixed.
 */
export function isRegistryProblem(error: unknown): boolean {
  if (error instanceof RegistryCorruptError || error instanceof SharedRecordCorruptError || error instanceof RunOwnershipLostError) return true;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
