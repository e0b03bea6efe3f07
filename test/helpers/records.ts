import { DirectoryRegistry } from '../../persistence/directory-registry.ts';
import { runRecords, type RunRecords } from '../../persistence/run-records.ts';
import { makeTempDir } from './temp.ts';

/** A run's effect records in a fresh directory registry of its own (for effects tested one at a time). */
export function scratchRecords(runId = 'r1'): RunRecords {
  return runRecords(new DirectoryRegistry(makeTempDir('buran-records-')), runId);
}
