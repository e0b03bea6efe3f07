import { driveRun, type DriveResult } from '../../actors/drive-run.ts';
import { exitForState } from '../exit-codes.ts';
import { intakeRun, type IntakeOptions } from '../intake.ts';
import type { Output } from '../output.ts';
import { progressPrinter } from '../progress.ts';
import { formatAction, formatBlocker, indented } from '../status-view.ts';
import { nextSafeAction, type ActionFacts } from '../../machines/next-safe-action.ts';
import type { Registry } from '../../persistence/port.ts';
import { withRegistry } from '../registry-access.ts';
import { actionFactsOf } from '../action-facts.ts';
import { RUN_STATES } from '../../machines/states.ts';
import { UsageError } from '../errors.ts';
import { isValidRunId } from '../../persistence/layout.ts';
import { InvalidIdError } from '../../persistence/errors.ts';
import type { RunInspector } from './inspect.ts';
import type { HandoffRecord } from '../../machines/types.ts';
import type { PgRegistry } from '../../persistence/pg/index.ts';
import { TERMINAL_STATES } from '../../machines/states.ts';

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
    return await withRegistry(flags.registry, async (registry) => {
      const meta = await intakeRun(intake, registry, output.err);
      if (!flags.json) output.out(meta.run_id);
      return drive(registry, meta.run_id, flags, output, inspector);
    });
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
    return await withRegistry(flags.registry, async (registry) => {
      // A fleet's run is driven by a runner host (its workspace is theirs): resuming it queues it again.
      // A record that cannot be read is the drive's to quarantine (exit 5), as for any run.
      const runner = await registry.readMeta(runId).then((meta) => meta.runner === true, () => false);
      if (runner) return requeue(registry as PgRegistry, runId, flags, output);
      if (!flags.json) output.out(runId);
      return drive(registry, runId, flags, output, inspector);
    });
  } finally {
    await inspector?.finish();
  }
}

async function requeue(registry: PgRegistry, runId: string, flags: DriveFlags, output: Output): Promise<number> {
  const queued = await registry.park(runId, [...TERMINAL_STATES]);
  const state = (await registry.readSnapshot(runId))?.state ?? 'queued';
  if (flags.json) output.out(JSON.stringify({ run_id: runId, state, queued }));
  else output.out(queued
    ? `run ${runId} (a fleet's run, in ${state}) is queued again: a runner host (buran worker) picks it up`
    : `run ${runId} (a fleet's run, in ${state}) was not queued again: it is finished, queued already, or being driven (see buran status ${runId})`);
  return queued || !TERMINAL_STATES.has(state) ? 0 : exitForState(state);
}

// Started before intake, so a busy port is a usage error with nothing written.
export async function openInspector(flags: DriveFlags, output: Output): Promise<RunInspector | null> {
  if (!flags.inspect) return null;
  const { openRunInspector } = await import('./inspect.ts');
  return openRunInspector({ registry: flags.registry, ...flags.inspect }, output);
}

export function checkDriveFlags(flags: DriveFlags): void {
  if (flags.until !== undefined && !(RUN_STATES as readonly string[]).includes(flags.until)) {
    throw new UsageError(`--until ${flags.until}: not a run state; use one of ${RUN_STATES.join(', ')}`);
  }
  if (flags.maxSteps !== undefined && (!Number.isInteger(flags.maxSteps) || flags.maxSteps < 1)) {
    throw new UsageError('--max-steps needs a whole number of at least 1');
  }
}

/** Drives a recorded run with these flags, reports where it ended, and returns the exit code. */
export async function drive(registry: Registry, runId: string, flags: DriveFlags, output: Output, inspector: RunInspector | null): Promise<number> {
  const interrupt = new AbortController();
  const onSignal = () => interrupt.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    inspector?.started(runId);
    const result = await driveRun({
      registry, runId, until: flags.until, maxSteps: flags.maxSteps, interrupt: interrupt.signal, reopen: true,
      killGraceMs: Number(process.env.BURAN_KILL_GRACE_MS ?? 2000),
      // Progress goes to stderr with or without a TTY: a run that continues a branch or
      // blocks must say so in a CI log too.
      onEntry: flags.json ? undefined : progressPrinter(output.err),
      inspect: inspector?.inspect,
    });
    inspector?.ended(result);
    const meta = await registry.readMeta(runId);
    const agents = Object.values(meta.config.workers).some((worker) => worker?.preset !== undefined);
    report(result, flags, output, await actionFactsOf(meta, registry, process.cwd()), agents);
    return result.stopped !== null && !result.terminal ? 6 : exitForState(result.state);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function report(result: DriveResult, flags: DriveFlags, output: Output, facts: ActionFacts, agents: boolean): void {
  const next = nextSafeAction(result.run_id, result.state, result.blocker, result.terminal, facts);
  if (flags.json) {
    output.out(JSON.stringify({
      run_id: result.run_id, state: result.state, terminal: result.terminal, blocker: result.blocker, stopped: result.stopped,
      next_safe_action: next, handoff: result.handoff, cost_usd: result.cost_usd,
    }));
    return;
  }
  const handoff = result.handoff as HandoffRecord | null;
  output.out(`state: ${result.state}${result.stopped ? ` (stopped: ${result.stopped})` : ''}`);
  if (result.blocker) output.out(indented(`blocker: ${formatBlocker(result.blocker)}`, 2));
  if (handoff) {
    output.out(`patch: ${handoff.patch_path ?? '(none: the workspace is not a git repo)'} (${handoff.files_changed} file(s) changed)`);
    output.out(`summary: ${handoff.summary_path}`);
    if (handoff.commit) output.out(`commit: ${handoff.commit} on ${handoff.branch}${handoff.pushed ? ' (pushed)' : ''}`);
    if (handoff.pr) output.out(`pull request: ${handoff.pr.url} (${handoff.pr.action}, draft)`);
  }
  output.out(indented(`next: ${formatAction(next)}`, 2));
  // Only agent presets report what they cost; command workers' cost is not known to Buran.
  output.out(agents ? `cost: $${result.cost_usd.toFixed(4)} reported by the run's agents` : 'cost: not reported (no worker is an agent preset)');
}
