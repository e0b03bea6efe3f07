import {
  BatchExistsError, BatchNotFoundError, InvalidIdError, LeaseNotExpiredError, LockUnverifiedError, RegistryCorruptError, RegistryUnusableError,
  RunExistsError, RunLockedError, RunBusyError, RunOwnershipLostError, RunNotFinishedError, RunNotFoundError, RunWorkersAliveError, SharedRecordCorruptError,
} from '../persistence/errors.ts';
import { UsageError } from './errors.ts';
import { EXIT } from './exit-codes.ts';

/** Maps an error to CONTRACT 1's exit code and a message that says what to do. */
export function classify(error: unknown): { code: string; exit: number; message: string; details: string[] } {
  if (error instanceof UsageError) return { code: 'usage', exit: EXIT.usage, message: error.message, details: error.details };
  if (error instanceof InvalidIdError || error instanceof RegistryUnusableError) return { code: error.code, exit: EXIT.usage, message: error.message, details: [] };
  if (isDiskFull(error)) {
    const where = (error as NodeJS.ErrnoException).path;
    return {
      code: 'registry_disk_full', exit: EXIT.registry, details: [],
      message: `registry disk full${where ? ` (writing ${where})` : ''}: nothing half-written was kept; free space on that disk, then run the same command again (a run continues with "buran resume ID")`,
    };
  }
  if (
    error instanceof RunNotFoundError || error instanceof RunLockedError || error instanceof RunExistsError || error instanceof LeaseNotExpiredError
    || error instanceof RunNotFinishedError || error instanceof BatchNotFoundError || error instanceof BatchExistsError
    || error instanceof LockUnverifiedError || error instanceof RunWorkersAliveError || error instanceof RunBusyError || error instanceof RunOwnershipLostError
  ) {
    return { code: error.code, exit: EXIT.registry, message: error.message, details: [] };
  }
  if (error instanceof SharedRecordCorruptError) {
    return { code: error.code, exit: EXIT.registry, message: `registry record is corrupt and was left untouched: ${error.message}. ${error.fix}`, details: [] };
  }
  if (error instanceof RegistryCorruptError) {
    return { code: error.code, exit: EXIT.registry, message: `registry record is corrupt and was left untouched: ${error.message}`, details: [] };
  }
  const message = error instanceof Error ? `${error.message}${error.stack ? `\n${error.stack}` : ''}` : String(error);
  return { code: 'internal', exit: EXIT.internal, message: `internal error (this is a bug in buran; please report it): ${message}`, details: [] };
}

/** ENOSPC (no space) or EDQUOT (quota), anywhere in the error or its cause. */
function isDiskFull(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') return true;
  }
  return false;
}
