import { join } from 'node:path';
import type { Finding, VerificationReport } from '../machines/types.ts';
import { readIfExists, writeJsonDurable } from '../persistence/durable-file.ts';
import { splitCommandWords } from './command-words.ts';
import { rm } from 'node:fs/promises';
import { runInGroup, signalGroup } from './process-group.ts';
import { isAlive, type ProcessIdentity } from '../persistence/process-identity.ts';
import { buildChildEnv } from './worker-env.ts';
import { redact, redactFile } from './redact.ts';
import { readOwnJson } from './json-file.ts';
import { verificationExit } from '../machines/workspace-rules.ts';

/** What verification needs from the run. */
export interface VerificationContext {
  epochDir: string;
  workspace: string;
  timeoutMs: number;
  env: NodeJS.ProcessEnv;
  secrets: readonly string[];
  killGraceMs: number;
  record: (draft: { type: string } & Record<string, unknown>) => void;
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
  const recorded = await readOwnJson<VerificationReport>(reportPath);
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
      file, args, cwd: ctx.workspace, env: buildChildEnv(ctx.env, [], {}), logFile: log,
      deadline: Date.now() + ctx.timeoutMs, killGraceMs: ctx.killGraceMs, signal: ctx.signal,
      onStarted: (process) => writeJsonDurable(join(ctx.epochDir, RUNNING), { process, index: index + 1, command }),
    });
    await redactFile(log, ctx.secrets);
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

// A verification command a dead driver left running would race the new one: its group is
// killed before the epoch's commands run again from the first.
const RUNNING = 'running.json';
async function stopOrphan(ctx: VerificationContext, epoch: number): Promise<void> {
  const running = await readOwnJson<{ process: ProcessIdentity; command: string }>(join(ctx.epochDir, RUNNING));
  if (running === null || !isAlive(running.process)) return;
  signalGroup(running.process.pid, 'SIGKILL');
  ctx.record({ type: 'verification.orphan_killed', epoch, pid: running.process.pid, command: running.command });
}

async function tailOf(path: string, secrets: readonly string[]): Promise<string> {
  const lines = ((await readIfExists(path)) ?? '').split('\n');
  const excerpt = lines.length <= HEAD_LINES + TAIL_LINES
    ? lines
    : [...lines.slice(0, HEAD_LINES), `… (${lines.length - HEAD_LINES - TAIL_LINES} lines omitted; full log at ${path})`, ...lines.slice(-TAIL_LINES)];
  return redact(excerpt.join('\n'), secrets);
}
