import { BatchExistsError, BatchNotFoundError, LeaseNotExpiredError, RegistryCorruptError, RunBusyError, RunExistsError, RunLockedError, RunNotFinishedError, RunNotFoundError } from '../persistence/errors.ts';
import { UsageError } from './errors.ts';
import { EXIT } from './exit-codes.ts';

/** Maps an error to CONTRACT 1's exit code and a message that says what to do. */
export function classify(error: unknown): { code: string; exit: number; message: string; details: string[] } {
  if (error instanceof UsageError) return { code: 'usage', exit: EXIT.usage, message: error.message, details: error.details };
  if (error instanceof RunNotFoundError || error instanceof RunLockedError || error instanceof RunExistsError || error instanceof LeaseNotExpiredError || error instanceof RunNotFinishedError || error instanceof RunBusyError || error instanceof BatchNotFoundError || error instanceof BatchExistsError) {
    return { code: error.code, exit: EXIT.registry, message: error.message, details: [] };
  }
  if (error instanceof RegistryCorruptError) {
    return { code: error.code, exit: EXIT.registry, message: `registry record is corrupt and was left untouched: ${error.message}`, details: [] };
  }
  const message = error instanceof Error ? `${error.message}${error.stack ? `\n${error.stack}` : ''}` : String(error);
  return { code: 'internal', exit: EXIT.internal, message: `internal error (this is a bug in buran; please report it): ${message}`, details: [] };
}
