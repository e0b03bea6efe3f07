import { driveRun, type DriveResult } from '../../actors/drive-run.ts';
import { exitForState } from '../exit-codes.ts';
import { intakeRun, type IntakeOptions } from '../intake.ts';
import type { Output } from '../output.ts';
import { progressPrinter } from '../progress.ts';
import { formatAction, formatBlocker } from '../status-view.ts';
import { nextSafeAction } from '../../machines/next-safe-action.ts';
import { RUN_STATES } from '../../machines/states.ts';
import { UsageError } from '../errors.ts';
import { isValidRunId } from '../../persistence/layout.ts';
import { InvalidIdError } from '../../persistence/errors.ts';
import type { RunInspector } from './inspect.ts';
import type { HandoffRecord } from '../../machines/types.ts';

/** Flags of `run` and `resume` that bound a drive. */
export interface DriveFlags {
  registry: string;
  until?: string;
  maxSteps?: number;
  json?: boolean;
  /** --inspect: serve the live inspector on this port while driving; --inspect-wait keeps it up after. */
  inspect?: { port: number; wait: boolean };
}

/** `buran run PACKET …`: intake, print the id, drive. */
export async function runCommand(intake: IntakeOptions, flags: DriveFlags, output: Output): Promise<number> {
  checkDriveFlags(flags);
  const inspector = await openInspector(flags, output);
  try {
    const meta = await intakeRun(intake);
    if (!flags.json) output.out(meta.run_id);
    return await drive(meta.run_id, flags, output, inspector);
  } finally {
    await inspector?.finish();
  }
}

/** `buran resume ID` / `buran run --run ID`. */
export async function resumeCommand(runId: string, flags: DriveFlags, output: Output): Promise<number> {
  if (!isValidRunId(runId)) throw new InvalidIdError(runId);
  checkDriveFlags(flags);
  const inspector = await openInspector(flags, output);
  try {
    if (!flags.json) output.out(runId);
    return await drive(runId, flags, output, inspector);
  } finally {
    await inspector?.finish();
  }
}

// Started before intake, so a busy port is a usage error with nothing written.
async function openInspector(flags: DriveFlags, output: Output): Promise<RunInspector | null> {
  if (!flags.inspect) return null;
  const { openRunInspector } = await import('./inspect.ts');
  return openRunInspector({ registry: flags.registry, ...flags.inspect }, output);
}

function checkDriveFlags(flags: DriveFlags): void {
  if (flags.until !== undefined && !(RUN_STATES as readonly string[]).includes(flags.until)) {
    throw new UsageError(`--until ${flags.until}: not a run state; use one of ${RUN_STATES.join(', ')}`);
  }
  if (flags.maxSteps !== undefined && (!Number.isInteger(flags.maxSteps) || flags.maxSteps < 1)) {
    throw new UsageError('--max-steps needs a whole number of at least 1');
  }
}

async function drive(runId: string, flags: DriveFlags, output: Output, inspector: RunInspector | null): Promise<number> {
  const interrupt = new AbortController();
  const onSignal = () => interrupt.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    inspector?.started(runId);
    const result = await driveRun({
      registryRoot: flags.registry, runId, until: flags.until, maxSteps: flags.maxSteps, interrupt: interrupt.signal,
      killGraceMs: Number(process.env.BURAN_KILL_GRACE_MS ?? 2000),
      onEntry: output.isTTY && !flags.json ? progressPrinter(output.err) : undefined,
      inspect: inspector?.inspect,
    });
    inspector?.ended(result);
    report(result, flags, output);
    return result.stopped !== null && !result.terminal ? 6 : exitForState(result.state);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function report(result: DriveResult, flags: DriveFlags, output: Output): void {
  const next = nextSafeAction(result.run_id, result.state, result.blocker, result.terminal);
  if (flags.json) {
    output.out(JSON.stringify({ run_id: result.run_id, state: result.state, terminal: result.terminal, blocker: result.blocker, stopped: result.stopped, next_safe_action: next, handoff: result.handoff }));
    return;
  }
  const handoff = result.handoff as HandoffRecord | null;
  output.out(`state: ${result.state}${result.stopped ? ` (stopped: ${result.stopped})` : ''}`);
  if (result.blocker) output.out(`blocker: ${formatBlocker(result.blocker)}`);
  if (handoff) {
    output.out(`patch: ${handoff.patch_path ?? '(none: the workspace is not a git repo)'} (${handoff.files_changed} file(s) changed)`);
    output.out(`summary: ${handoff.summary_path}`);
    if (handoff.commit) output.out(`commit: ${handoff.commit} on ${handoff.branch}${handoff.pushed ? ' (pushed)' : ''}`);
    if (handoff.pr) output.out(`pull request: ${handoff.pr.url} (${handoff.pr.action}, draft)`);
  }
  output.out(`next: ${formatAction(next)}`);
}
