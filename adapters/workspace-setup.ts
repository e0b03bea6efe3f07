import { join } from 'node:path';
import type { SetupCommandResult, SetupReport } from '../machines/workspace-rules.ts';
import { readIfExists } from '../persistence/durable-file.ts';
import { isAlive } from '../persistence/process-identity.ts';
import { hostName, recordedHere } from '../persistence/host.ts';
import { EFFECTS } from '../persistence/port.ts';
import { readRunningSetup, readSetup } from './dispatch-records.ts';
import { runInGroup, signalGroup } from './process-group.ts';
import { redact } from './redact.ts';
import { buildChildEnv, runIdentity } from './worker-env.ts';
import type { CommandContext } from './command-context.ts';

/** What workspace.setup needs from the run. */
export interface SetupContext extends CommandContext {
  /** This host's folder of the setup logs. */
  setupDir: string;
  commands: string[][];
  /** The setup commands together may take this long. */
  timeoutMs: number;
}

const TAIL_LINES = 40;

/**
 * Runs workspace.setup's commands in order in the workspace (no shell), each logged, stopping at
 * the first that does not pass; the report is recorded, so a resumed run does not set up twice.
 * A setup command a dead driver left running is killed and the setup starts over.
 */
export async function runWorkspaceSetup(ctx: SetupContext): Promise<SetupReport> {
  const recorded = await readSetup(ctx.records);
  if (recorded !== null) return recorded;
  if (ctx.commands.length === 0) return { commands: [] };
  await stopOrphan(ctx);

  const deadline = Date.now() + ctx.timeoutMs;
  const commands: SetupCommandResult[] = [];
  for (const [index, command] of ctx.commands.entries()) {
    if (ctx.signal?.aborted) throw new SetupInterrupted();
    const log = join(ctx.setupDir, `command-${index + 1}.log`);
    ctx.record({ type: 'workspace.setup', index: index + 1, command: command.join(' ') });
    const [file, ...args] = command as [string, ...string[]];
    const result = await runInGroup({
      file, args, cwd: ctx.workspace, logFile: log, secrets: ctx.secrets, deadline, killGraceMs: ctx.killGraceMs, signal: ctx.signal,
      env: buildChildEnv(ctx.env, [], { ...runIdentity(ctx.registryId, ctx.runId), BURAN_TASK_ID: `setup-${index + 1}` }),
      onStarted: (process) => ctx.records.write(EFFECTS.setupRunning, { process, index: index + 1, host: hostName() }),
    });
    if (result.kind === 'aborted') throw new SetupInterrupted();
    const tail = await tailOf(log, ctx.secrets);
    const base = { command, log, output_tail: tail };
    if (result.kind === 'start_failed') commands.push({ ...base, outcome: 'start_failed', exit_code: null, detail: result.message });
    else if (result.kind === 'timed_out') commands.push({ ...base, outcome: 'timed_out', exit_code: null, detail: `workspace.setup_timeout_ms (${ctx.timeoutMs} ms) ran out` });
    else commands.push({ ...base, outcome: result.exitCode === 0 ? 'passed' : 'failed', exit_code: result.exitCode, detail: result.signal ?? '' });
    const done = commands[commands.length - 1]!;
    // Beside its start in the journal: `events` and `run` say how each setup command ended.
    ctx.record({ type: 'workspace.setup_result', index: index + 1, command: command.join(' '), exit_code: done.exit_code, outcome: done.outcome });
    if (done.outcome !== 'passed') break;
  }
  const report: SetupReport = { commands };
  await ctx.records.write(EFFECTS.setup, report);
  await ctx.records.remove(EFFECTS.setupRunning);
  return report;
}

/** The driver stopped on purpose during setup; a resumed run sets up again. */
export class SetupInterrupted extends Error {
  constructor() {
    super('workspace setup was interrupted by a deliberate stop');
    this.name = 'SetupInterrupted';
  }
}

async function stopOrphan(ctx: SetupContext): Promise<void> {
  const running = await readRunningSetup(ctx.records);
  if (running === null || !recordedHere(running) || !isAlive(running.process)) return;
  signalGroup(running.process.pid, 'SIGKILL');
  ctx.record({ type: 'workspace.setup_orphan_killed', pid: running.process.pid, index: running.index });
}

async function tailOf(path: string, secrets: readonly string[]): Promise<string> {
  const lines = ((await readIfExists(path)) ?? '').trimEnd().split('\n');
  return redact(lines.slice(-TAIL_LINES).join('\n'), secrets);
}
