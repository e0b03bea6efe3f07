import { join } from 'node:path';
import type { VerificationReport } from '../machines/types.ts';
import { clipText } from '../schemas/completion.ts';
import { readLogHead, readLogTail } from './worker-file.ts';
import { splitCommandWords } from './command-words.ts';
import { stat } from 'node:fs/promises';
import { runInGroup, signalGroup } from './process-group.ts';
import { isAlive } from '../persistence/process-identity.ts';
import { hostName, recordedHere } from '../persistence/host.ts';
import { buildChildEnv, runIdentity } from './worker-env.ts';
import { redact } from './redact.ts';
import { readRunningCommand, readVerification } from './dispatch-records.ts';
import { EFFECTS } from '../persistence/port.ts';
import { judgeCommand, verificationReport, type CommandFacts, type CommandJudgement } from '../machines/verification-rules.ts';
import type { CommandContext } from './command-context.ts';


/** What verification needs from the run. */
export interface VerificationContext extends CommandContext {
  /** This host's folder of the epoch's command logs. */
  epochDir: string;
  timeoutMs: number;
}

// A fixer needs both where the failures are named (often the head) and the summary (the tail).
const HEAD_LINES = 60;
const TAIL_LINES = 60;

/**
 * Runs the epoch's commands in order; machines/verification-rules.ts judges each, and the first
 * that does not pass ends the gate. The policy check happened in the machine; a recorded report
 * for the epoch is returned as is.
 */
export async function runVerification(ctx: VerificationContext, epoch: number, commands: string[]): Promise<VerificationReport> {
  const recorded = await readVerification(ctx.records, epoch);
  if (recorded !== null) return recorded;
  await stopOrphan(ctx, epoch);

  const results: VerificationReport['commands'] = [];
  let last: CommandJudgement | null = null;
  for (const [index, command] of commands.entries()) {
    const log = join(ctx.epochDir, `command-${index + 1}.log`);
    last = judgeCommand(command, await runCommand(ctx, epoch, index, command, log));
    results.push({ command, exit_code: last.exit_code, outcome: last.outcome, log });
    // What each command did goes to the journal beside its start: `events` and `run` show it per command.
    ctx.record({ type: 'verification.result', epoch, index: results.length, command, exit_code: last.exit_code, outcome: last.outcome });
    if (last.end !== null) break;
  }
  const report = verificationReport(epoch, results, last);
  await ctx.records.write(EFFECTS.verification(epoch), report);
  await ctx.records.remove(EFFECTS.verificationRunning(epoch));
  return report;
}

/** Runs one command and reports what it did (a fact for the judgement, no verdict). */
async function runCommand(ctx: VerificationContext, epoch: number, index: number, command: string, log: string): Promise<CommandFacts> {
  const words = splitCommandWords(command);
  if (!words.ok) return { kind: 'unparsable', message: words.message };
  if (ctx.signal?.aborted) throw new Error(`verification of epoch ${epoch} was interrupted by a deliberate stop`);
  ctx.record({ type: 'verification.command', epoch, index: index + 1, command });
  const [file, ...args] = words.words as [string, ...string[]];
  const result = await runInGroup({
    file, args, cwd: ctx.workspace, env: buildChildEnv(ctx.env, [], commandIds(ctx.registryId, ctx.runId, epoch, index + 1)), logFile: log, secrets: ctx.secrets,
    deadline: Date.now() + ctx.timeoutMs, killGraceMs: ctx.killGraceMs, signal: ctx.signal,
    onStarted: (process) => ctx.records.write(EFFECTS.verificationRunning(epoch), { process, index: index + 1, command, host: hostName() }),
  });
  switch (result.kind) {
    case 'aborted': throw new Error(`verification of epoch ${epoch} was interrupted by a deliberate stop`);
    case 'start_failed': return { kind: 'start_failed', message: result.message };
    case 'timed_out': return { kind: 'timed_out', timeoutMs: ctx.timeoutMs };
    case 'exited':
      return { kind: 'exited', exitCode: result.exitCode, signal: result.signal, log, tail: result.exitCode === 0 ? '' : await tailOf(log, ctx.secrets) };
  }
}

/**
 * A verification command carries the run's id and a task-like id of its own, as a worker does:
 * `buran cancel` finds whatever it started by BURAN_RUN_ID, and a task's processes by BURAN_TASK_ID.
 */
export function commandIds(registryId: string, runId: string, epoch: number, index: number): Record<string, string> {
  return { ...runIdentity(registryId, runId), BURAN_TASK_ID: `verify-e${epoch}-c${index}`, BURAN_EPOCH: String(epoch) };
}

// A verification command a dead driver left running would race the new one: its group is
// killed before the epoch's commands run again from the first.
async function stopOrphan(ctx: VerificationContext, epoch: number): Promise<void> {
  const running = await readRunningCommand(ctx.records, epoch);
  // One another host left runs on that host's disk, in a workspace this host does not use.
  if (running === null || !recordedHere(running) || !isAlive(running.process)) return;
  signalGroup(running.process.pid, 'SIGKILL');
  ctx.record({ type: 'verification.orphan_killed', epoch, pid: running.process.pid, command: running.command ?? '' });
}

// The excerpt a fixer gets is bounded however the command wrote: the head and the tail of its log
// (never the whole file), lines cut to LINE_CHARS, the whole to EXCERPT_BYTES. The log keeps it all.
const EDGE_BYTES = 32 * 1024;
const LINE_CHARS = 500;
const EXCERPT_BYTES = 16 * 1024;

async function tailOf(path: string, secrets: readonly string[]): Promise<string> {
  const size = await stat(path).then((s) => s.size, () => 0);
  const clip = (line: string) => (line.length <= LINE_CHARS ? line : `${line.slice(0, LINE_CHARS)} … (${line.length - LINE_CHARS} more characters)`);
  let lines: string[];
  if (size <= 2 * EDGE_BYTES) {
    lines = ((await readLogHead(path, 2 * EDGE_BYTES)) ?? '').split('\n');
  } else {
    const head = ((await readLogHead(path, EDGE_BYTES)) ?? '').split('\n').slice(0, -1);
    const tail = await readLogTail(path, EDGE_BYTES);
    const omitted = (tail?.skipped ?? size) - head.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    lines = [...head.slice(0, HEAD_LINES), `… (${omitted} bytes omitted; full log at ${path})`, ...(tail?.text ?? '').split('\n').slice(-TAIL_LINES)];
  }
  const excerpt = lines.length <= HEAD_LINES + TAIL_LINES
    ? lines
    : [...lines.slice(0, HEAD_LINES), `… (${lines.length - HEAD_LINES - TAIL_LINES} lines omitted; full log at ${path})`, ...lines.slice(-TAIL_LINES)];
  return clipText(redact(excerpt.map(clip).join('\n'), secrets), EXCERPT_BYTES);
}
