// `buran logs ID [TASK_ID] [-f]`: a run's worker and verification output, oldest first.
import { secretValues } from '../../adapters/redact.ts';
import { logTitle, readRunLogs, type LogSection } from '../../adapters/run-output.ts';
import { isValidRunId } from '../../persistence/layout.ts';
import type { Registry } from '../../persistence/port.ts';
import { refuseFilesOfAnotherHost, withRegistry } from '../registry-access.ts';
import { UsageError } from '../errors.ts';
import { EXIT } from '../exit-codes.ts';
import type { Output } from '../output.ts';

/** Flags of `buran logs`. */
export interface LogsOptions {
  registry: string;
  taskId?: string;
  follow: boolean;
  json: boolean;
}

/** Prints the logs (following a live run with -f until it ends); exit 5 for a task the run does not have. */
export async function logsCommand(runId: string, opts: LogsOptions, output: Output): Promise<number> {
  if (!isValidRunId(runId)) throw new UsageError(`${runId}: not a run id (letters, digits, dot, dash, underscore)`);
  if (opts.taskId !== undefined && !isValidRunId(opts.taskId)) throw new UsageError(`${opts.taskId}: not a task id (letters, digits, dot, dash, underscore)`);
  return withRegistry(opts.registry, (registry) => printLogs(registry, runId, opts, output));
}

async function printLogs(registry: Registry, runId: string, opts: LogsOptions, output: Output): Promise<number> {
  await registry.assertRun(runId);
  await refuseFilesOfAnotherHost(registry, runId, 'logs');
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const logs = readRunLogs(registry, runId, { taskId: opts.taskId, follow: opts.follow, secrets: secretValues(process.env), signal: stop.signal });
    let shown: string | null = null;
    const lineCount = new Map<string, number>();
    for (;;) {
      const next = await logs.next();
      if (next.done) {
        if (next.value === null) return EXIT.ok;
        const known = next.value.task_ids.length ? next.value.task_ids.join(', ') : 'none yet';
        const message = `${opts.taskId} is not a task of run ${runId} (its tasks: ${known}); see "buran status ${runId}"`;
        if (opts.json) output.out(JSON.stringify({ error: { code: 'task_not_found', message, details: [] } }));
        output.err(`buran: ${message}`);
        return EXIT.registry;
      }
      const chunk = next.value;
      if (chunk.kind === 'note') {
        output.err(`buran: ${chunk.message}`);
        continue;
      }
      if (opts.json) {
        output.out(JSON.stringify({ ...chunk.section, text: chunk.lines.join('\n') }));
        continue;
      }
      const key = chunk.section.key;
      const total = (lineCount.get(key) ?? 0) + chunk.lines.length;
      lineCount.set(key, total);
      // Says so when a log ended empty; a followed log with nothing yet just shows its header.
      const empty = total === 0 && chunk.ended ? '(no output)' : total === 0 && chunk.first && !opts.follow ? '(no output yet)' : null;
      if (chunk.lines.length === 0 && empty === null && !chunk.first) continue;
      // Lines of another log than the last one shown get its header again (as tail -f does).
      if (shown !== key) {
        if (shown !== null) output.out('');
        output.out(header(chunk.section));
        shown = key;
      }
      for (const line of chunk.lines) output.out(line);
      if (empty !== null) output.out(empty);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** "==> t1-implementer: implementer, attempt 1, epoch 1, completed (exit 0) <==  PATH" */
export const header = (s: LogSection): string => `==> ${logTitle(s)} <==  ${s.path}`;
