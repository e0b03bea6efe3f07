import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { execa } from 'execa';
import { isAlive, processStart, type ProcessIdentity } from '../persistence/process-identity.ts';
import type { TerminalWatch } from './terminal-watch.ts';
import { MAX_TIMER_MS } from '../schemas/config.ts';
import { relayOutput, type RelayedOutput } from './output-relay.ts';

/** What to start: a program, no shell, in its own process group, output to a file. */
export interface GroupSpec {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** stdout and stderr both go here (appended), redacted of these values and every secret shape. */
  logFile: string;
  secrets: readonly string[];
  /** Absolute time (ms since epoch) after which the whole group is killed. */
  deadline: number;
  killGraceMs: number;
  /** Output is the heartbeat: with no new output for this long the group is killed (timed out). */
  idleTimeoutMs?: number;
  signal?: AbortSignal;
  /** Called once the process exists, before it is awaited: record its identity durably here. */
  onStarted?: (identity: ProcessIdentity) => Promise<void>;
  /** The relay's hold on the output, asked for ahead (while the caller records its intent); else asked for here. */
  output?: Promise<RelayedOutput>;
  /**
   * Called once the group is gone, while the relay finishes the log: stop what escaped the group
   * here (its output then ends too), without waiting on the log first.
   */
  afterExit?: () => Promise<void>;
  /**
   * Done means done: once this sees the worker's terminal line (an agent's final event), the
   * group gets `killGraceMs` to exit by itself, then is stopped; the result stands.
   */
  finished?: TerminalWatch;
}

/** How a process group run ended; callers branch on `kind`, never on text. */
export type GroupResult =
  | { kind: 'exited'; exitCode: number | null; signal: string | null; /** Stopped after its terminal line. */ lingered?: boolean }
  | { kind: 'timed_out'; idle: boolean }
  | { kind: 'start_failed'; message: string }
  | { kind: 'aborted' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Signals a whole process group; a group that is already gone is fine. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM the group, wait up to the grace period for the leader, then SIGKILL whatever is left. */
export async function stopGroup(pgid: number, leaderExited: () => boolean, graceMs: number): Promise<void> {
  signalGroup(pgid, 'SIGTERM');
  const until = Date.now() + graceMs;
  while (!leaderExited() && Date.now() < until) await sleep(20);
  signalGroup(pgid, 'SIGKILL');
}

/**
 * Runs a program in its own process group with a hard deadline and abort, settling on the leader's
 * exit. Its stdout and stderr go to a raw file of its own that the log relay follows and writes to
 * `logFile` redacted as it comes: no pipe (a grandchild holding its output cannot hold the driver,
 * writes never block or get cut off by an exit), and the relay outlives the driver (a worker keeps
 * running, still redacted, and is adopted on resume).
 */
export async function runInGroup(spec: GroupSpec): Promise<GroupResult> {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  let output: RelayedOutput;
  try {
    output = await (spec.output ?? relayOutput(spec.logFile, spec.secrets, spec.killGraceMs));
  } catch (error) {
    return { kind: 'start_failed', message: `its output cannot be captured: ${(error as Error).message}` };
  }
  // execa's types only list fds 3-9, but any open fd works.
  const out = output.fd as 3;
  const child = execa(spec.file, spec.args, {
    cwd: spec.cwd, env: spec.env, extendEnv: false, detached: true, cleanup: false, reject: false,
    stdin: 'ignore', stdout: out, stderr: out, windowsHide: true,
  });
  const pid = child.pid;
  if (pid === undefined) {
    output.abandon();
    const result = await child;
    return { kind: 'start_failed', message: result.originalMessage || result.shortMessage || 'the program could not be started' };
  }
  const identity = { pid, start: processStart(pid) };
  output.started(identity);
  let exited: { exitCode: number | null; signal: string | null } | null = null;
  const exit = new Promise<void>((resolve) => child.once('exit', (exitCode, signal) => { exited = { exitCode, signal }; resolve(); }));
  void child.catch(() => {});
  await spec.onStarted?.(identity);

  const remaining = Math.max(0, spec.deadline - Date.now());
  let timer: NodeJS.Timeout | undefined;
  // Never past what a timer can wait (setTimeout fires at once beyond 2^31-1 ms); the schema bounds durations below it.
  const timedOut = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), Math.min(remaining, MAX_TIMER_MS)); });
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<'abort'>((resolve) => {
    onAbort = () => resolve('abort');
    if (spec.signal?.aborted) onAbort();
    spec.signal?.addEventListener('abort', onAbort, { once: true });
  });
  const idle = spec.idleTimeoutMs === undefined ? null : watchOutput(spec.logFile, spec.idleTimeoutMs);
  const answered = spec.finished ? watchFinished(spec.finished, spec.killGraceMs) : null;
  const first = await Promise.race([exit.then(() => 'exit' as const), timedOut, aborted, ...(idle ? [idle.silent] : []), ...(answered ? [answered.lingering] : [])]);
  clearTimeout(timer);
  if (onAbort) spec.signal?.removeEventListener('abort', onAbort);
  idle?.stop();
  answered?.stop();
  if (first === 'lingering') {
    // The agent has answered; what it left running (or the CLI itself, waiting on a grandchild) goes.
    await stopGroup(pid, () => exited !== null, spec.killGraceMs);
    await exit;
    const ended = exited as unknown as { exitCode: number | null; signal: string | null };
    return { kind: 'exited', exitCode: ended.exitCode, signal: ended.signal, lingered: true };
  }
  if (first !== 'exit') {
    await stopGroup(pid, () => exited !== null, spec.killGraceMs);
    await exit;
    await completeLog(output, spec);
    return first === 'abort' ? { kind: 'aborted' } : { kind: 'timed_out', idle: first === 'idle' };
  }
  // The leader is done; nothing it started may outlive it.
  signalGroup(pid, 'SIGKILL');
  // The log is read after this (findings, an agent's stream): it holds all the group wrote first (bounded).
  await completeLog(output, spec);
  const done = exited as unknown as { exitCode: number | null; signal: string | null };
  return { kind: 'exited', exitCode: done.exitCode, signal: done.signal };
}

/** The group is gone: `afterExit` runs while the relay writes the rest of the log, which is then whole (bounded). */
async function completeLog(output: RelayedOutput, spec: GroupSpec): Promise<void> {
  const whole = output.complete(spec.killGraceMs + 1000);
  try {
    await spec.afterExit?.();
  } finally {
    await whole;
  }
}

/** Resolves 'idle' once the log has not grown for `idleMs`; checked about 4 times per idle period. */
function watchOutput(logFile: string, idleMs: number): { silent: Promise<'idle'>; stop: () => void } {
  let size = -1;
  let lastChange = Date.now();
  let interval: NodeJS.Timeout | undefined;
  const silent = new Promise<'idle'>((resolve) => {
    interval = setInterval(() => {
      let now = size;
      try { now = statSync(logFile).size; } catch { /* not there yet */ }
      if (now !== size) { size = now; lastChange = Date.now(); }
      else if (Date.now() - lastChange >= idleMs) resolve('idle');
    }, Math.max(20, Math.min(1000, Math.floor(idleMs / 4))));
  });
  return { silent, stop: () => clearInterval(interval) };
}

/** Resolves 'lingering' once the terminal line is in and the group has had `graceMs` to exit. */
function watchFinished(watch: TerminalWatch, graceMs: number): { lingering: Promise<'lingering'>; stop: () => void } {
  let interval: NodeJS.Timeout | undefined;
  let seenAt: number | null = null;
  const lingering = new Promise<'lingering'>((resolve) => {
    interval = setInterval(() => {
      if (seenAt === null && watch.poll()) seenAt = Date.now();
      if (seenAt !== null && Date.now() - seenAt >= graceMs) resolve('lingering');
    }, 50);
  });
  return { lingering, stop: () => clearInterval(interval) };
}

/** Waits for a process this driver did not start (a previous driver did) until it exits or the deadline passes. */
export async function awaitAdopted(
  identity: ProcessIdentity, deadline: number, killGraceMs: number, signal?: AbortSignal, finished?: TerminalWatch,
): Promise<'exited' | 'timed_out' | 'aborted'> {
  let seenAt: number | null = null;
  while (isAlive(identity)) {
    if (signal?.aborted) return 'aborted';
    // An adopted agent that has answered and lingers is stopped like one this driver started.
    if (seenAt === null && finished?.poll()) seenAt = Date.now();
    if (seenAt !== null && Date.now() - seenAt >= killGraceMs) {
      await stopGroup(identity.pid, () => !isAlive(identity), killGraceMs);
      return 'exited';
    }
    if (Date.now() >= deadline) {
      await stopGroup(identity.pid, () => !isAlive(identity), killGraceMs);
      return 'timed_out';
    }
    await sleep(25);
  }
  signalGroup(identity.pid, 'SIGKILL');
  return 'exited';
}
