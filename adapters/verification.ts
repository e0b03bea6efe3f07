import type { JournalDraft } from '../persistence/journal-entries.ts';
import { join } from 'node:path';
import type { Finding, VerificationReport } from '../machines/types.ts';
import { writeJsonDurable } from '../persistence/durable-file.ts';
import { clipText } from '../schemas/completion.ts';
import { readLogHead, readLogTail } from './worker-file.ts';
import { splitCommandWords } from './command-words.ts';
import { rm, stat } from 'node:fs/promises';
import { runInGroup, signalGroup } from './process-group.ts';
import { isAlive } from '../persistence/process-identity.ts';
import { buildChildEnv, runIdentity } from './worker-env.ts';
import { verificationExit } from '../machines/workspace-rules.ts';
import { redact } from './redact.ts';
import { readJsonRecord } from '../persistence/record-file.ts';
import { readRunningCommand } from './dispatch-records.ts';

const isReport = (v: unknown): v is VerificationReport =>
  typeof v === 'object' && v !== null && ['PASS', 'FAIL', 'BLOCKED'].includes((v as VerificationReport).verdict) && Array.isArray((v as VerificationReport).commands);

/** What verification needs from the run. */
export interface VerificationContext {
  registryRoot: string;
  runId: string;
  epochDir: string;
  workspace: string;
  timeoutMs: number;
  env: NodeJS.ProcessEnv;
  secrets: readonly string[];
  killGraceMs: number;
  record: (draft: JournalDraft) => void;
  signal?: AbortSignal;
}

// A fixer needs both where the failures are named (often the head) and the summary (the tail).
const HEAD_LINES = 60;
const TAIL_LINES = 60;

/**
 * Runs the epoch's commands in order, stopping at the first that does not pass. The
 * policy check happened in the machine; a recorded report for the epoch is returned as is.
 */
export async function runVerification(ctx: VerificationContext, epoch: number, commands: string[]): Promise<VerificationReport> {
  const reportPath = join(ctx.epochDir, 'verification.json');
  const recorded = await readJsonRecord(reportPath, isReport, 'verification report');
  if (recorded !== null) return recorded;
  await stopOrphan(ctx, epoch);

  const results: VerificationReport['commands'] = [];
  // What each command did goes to the journal beside its start: `events` and `run` show it per command.
  const settle = (result: VerificationReport['commands'][number]) => {
    results.push(result);
    ctx.record({ type: 'verification.result', epoch, index: results.length, command: result.command, exit_code: result.exit_code, outcome: result.outcome });
  };
  let verdict: VerificationReport['verdict'] = 'PASS';
  const findings: Finding[] = [];
  let message = `all ${commands.length} verification command(s) passed`;
  for (const [index, command] of commands.entries()) {
    const log = join(ctx.epochDir, `command-${index + 1}.log`);
    const words = splitCommandWords(command);
    if (!words.ok) {
      settle({ command, exit_code: null, outcome: 'start_failed', log });
      verdict = 'BLOCKED';
      message = `verification command ${JSON.stringify(command)} cannot start: ${words.message}`;
      break;
    }
    if (ctx.signal?.aborted) throw new Error(`verification of epoch ${epoch} was interrupted by a deliberate stop`);
    ctx.record({ type: 'verification.command', epoch, index: index + 1, command });
    const [file, ...args] = words.words as [string, ...string[]];
    const result = await runInGroup({
      file, args, cwd: ctx.workspace, env: buildChildEnv(ctx.env, [], commandIds(ctx.registryRoot, ctx.runId, epoch, index + 1)), logFile: log, secrets: ctx.secrets,
      deadline: Date.now() + ctx.timeoutMs, killGraceMs: ctx.killGraceMs, signal: ctx.signal,
      onStarted: (process) => writeJsonDurable(join(ctx.epochDir, RUNNING), { process, index: index + 1, command }),
    });
    if (result.kind === 'aborted') throw new Error(`verification of epoch ${epoch} was interrupted by a deliberate stop`);
    if (result.kind === 'start_failed') {
      settle({ command, exit_code: null, outcome: 'start_failed', log });
      verdict = 'BLOCKED';
      message = `verification command ${JSON.stringify(command)} cannot start: ${result.message}`;
      break;
    }
    if (result.kind === 'timed_out') {
      settle({ command, exit_code: null, outcome: 'timed_out', log });
      verdict = 'BLOCKED';
      message = `verification command ${JSON.stringify(command)} ran past ${ctx.timeoutMs} ms and was killed`;
      break;
    }
    const judged = verificationExit(result.exitCode, result.exitCode === 0 ? '' : await tailOf(log, ctx.secrets));
    if (judged === 'not_found') {
      settle({ command, exit_code: result.exitCode, outcome: 'start_failed', log });
      verdict = 'BLOCKED';
      const tail = await tailOf(log, ctx.secrets);
      message = `verification command ${JSON.stringify(command)} exited ${result.exitCode}: a program it runs was not found or cannot run `
        + `(this is the workspace, not the change: install what it needs with a workspace.setup step, or fix the command)\n${tail}`.trim();
      break;
    }
    const passed = judged === 'passed';
    settle({ command, exit_code: result.exitCode, outcome: passed ? 'passed' : 'failed', log });
    if (!passed) {
      verdict = 'FAIL';
      const tail = await tailOf(log, ctx.secrets);
      message = `verification command ${JSON.stringify(command)} failed with ${result.signal ?? `exit code ${result.exitCode}`}`;
      findings.push({ severity: 'error', message: `${message}\n${tail}`.trim(), path: log });
      break;
    }
  }
  const report: VerificationReport = { epoch, verdict, findings, message, commands: results };
  await writeJsonDurable(reportPath, report);
  await rm(join(ctx.epochDir, RUNNING), { force: true });
  return report;
}

/**
 * A verification command carries the run's id and a task-like id of its own, as a worker does:
 * `buran cancel` finds whatever it started by BURAN_RUN_ID, and a task's processes by BURAN_TASK_ID.
 */
export function commandIds(registryRoot: string, runId: string, epoch: number, index: number): Record<string, string> {
  return { ...runIdentity(registryRoot, runId), BURAN_TASK_ID: `verify-e${epoch}-c${index}`, BURAN_EPOCH: String(epoch) };
}

// A verification command a dead driver left running would race the new one: its group is
// killed before the epoch's commands run again from the first.
const RUNNING = 'running.json';
async function stopOrphan(ctx: VerificationContext, epoch: number): Promise<void> {
  const running = await readRunningCommand(join(ctx.epochDir, RUNNING));
  if (running === null || !isAlive(running.process)) return;
  signalGroup(running.process.pid, 'SIGKILL');
  ctx.record({ type: 'verification.orphan_killed', epoch, pid: running.process.pid, command: running.command });
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
