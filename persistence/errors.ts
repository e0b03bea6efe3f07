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

/** The run is not in the registry. */
export class RunNotFoundError extends Error {
  readonly code = 'run_not_found';
  constructor(readonly runId: string, registry: string) {
    super(`run ${runId} is not in the registry ${registry}: check the id with "buran list"`);
    this.name = 'RunNotFoundError';
  }
}

/** Another live process drives this run. */
export class RunLockedError extends Error {
  readonly code = 'run_locked';
  constructor(readonly runId: string, readonly holderPid: number) {
    super(`run ${runId} is being driven by process ${holderPid}; wait for it or stop it first`);
    this.name = 'RunLockedError';
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
  constructor(runId: string, state: string) {
    super(`run ${runId} is in ${state}, not finished: its worktree is kept (cancel it first, or let it finish)`);
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
