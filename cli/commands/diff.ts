// `buran diff ID`: the run's change, the handoff patch or the workspace diff of an unfinished run.
import { secretValues } from '../../adapters/redact.ts';
import { readRunChange } from '../../adapters/run-output.ts';
import { isValidRunId } from '../../persistence/layout.ts';
import { refuseFilesOfAnotherHost, withRegistry } from '../registry-access.ts';
import { UsageError } from '../errors.ts';
import { EXIT } from '../exit-codes.ts';
import type { Output } from '../output.ts';

/** Prints the patch on stdout (where it came from on stderr); a run with no change prints nothing and says why. */
export async function diffCommand(runId: string, opts: { registry: string; json: boolean }, output: Output): Promise<number> {
  if (!isValidRunId(runId)) throw new UsageError(`${runId}: not a run id (letters, digits, dot, dash, underscore)`);
  const change = await withRegistry(opts.registry, async (registry) => {
    const meta = await registry.readMeta(runId);
    await refuseFilesOfAnotherHost(registry, runId, 'patch and workspace');
    return readRunChange(registry, runId, meta.workspace, secretValues(process.env));
  });
  if (opts.json) {
    output.out(JSON.stringify({ run_id: runId, ...change }));
    return EXIT.ok;
  }
  output.err(change.patch === '' ? `buran: no change to show: ${change.note}` : `buran: ${change.note}`);
  if (change.patch !== '') output.out(change.patch.replace(/\n$/, ''));
  return EXIT.ok;
}
