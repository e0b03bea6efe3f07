// The driver's side of the log relay (relay/log-relay.ts): a raw output file per started process,
// in a private temporary folder, written by the process (stdout and stderr) and followed by the one
// relay process of this driver, which redacts it into the log and has it unlinked once it holds it
// open. The driver never reads raw output.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProcessIdentity } from '../persistence/process-identity.ts';

/** One process's output on its way through the relay. */
export interface RelayedOutput {
  /** The raw file, open for appending: the process's stdout and stderr. Closed by `attach` (or `abandon`). */
  fd: number;
  /** Hands the raw file to the relay once the process exists. */
  attach(leader: ProcessIdentity, graceMs: number): void;
  /** The process never started: the raw file goes. */
  abandon(): void;
  /**
   * The process and its group are gone: resolves once the log holds all they wrote (the relay's
   * done marker), waiting at most `ms` once the relay has the file (and at most RELAY_START_MS for
   * that): false when the wait ran out.
   */
  complete(ms: number): Promise<boolean>;
}

/** How long a relay may take to start and open a file (a cold Node start on a loaded machine). */
const RELAY_START_MS = 30_000;

/** Where the relay writes that a log is complete (the pipe ended, or the grace after the leader ran out). */
export const doneMarker = (log: string) => `${log}.done`;

let relay: ChildProcess | null = null;
const awaitingOpen = new Map<string, () => void>();
let counter = 0;

/**
 * Starts this driver's relay ahead of its first process (its Node start then overlaps the
 * driver's own work instead of delaying the first log). A relay that cannot start is left for
 * the first process to report.
 */
export function startRelayEarly(): void {
  if (relay !== null) return;
  try { startRelay(); } catch { /* reported by relayOutput */ }
}

/**
 * Makes the raw output file for one process whose output goes, redacted, to `log` (created first,
 * never through a link). Throws when the relay cannot be started: the caller fails the start.
 */
export async function relayOutput(log: string, secrets: readonly string[]): Promise<RelayedOutput> {
  // Started (or found) first: a relay that cannot start fails the process's start, not its output.
  if (relay === null) startRelay();
  closeSync(openSync(log, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600));
  await rm(doneMarker(log), { force: true });
  const dir = mkdtempSync(join(tmpdir(), 'buran-out-'));
  const raw = join(dir, 'output');
  const fd = openSync(raw, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_EXCL, 0o600);
  const key = `${process.pid}-${++counter}`;
  const unlink = () => rmSync(dir, { recursive: true, force: true });
  const closeWrite = () => { try { closeSync(fd); } catch { /* closed */ } };
  let relayHasIt: Promise<void> = Promise.resolve();
  return {
    fd,
    attach(leader, graceMs) {
      closeWrite();
      // Until the relay has the file open it keeps its name (in a folder only this user can read).
      // The timer also keeps this process alive while the relay starts (its channel is unref'd).
      const giveUp = setTimeout(() => opened(key), RELAY_START_MS);
      relayHasIt = new Promise((resolve) => awaitingOpen.set(key, () => { clearTimeout(giveUp); unlink(); resolve(); }));
      if (!send({ type: 'attach', key, raw, log, done: doneMarker(log), secrets: [...secrets], leader, graceMs })) opened(key);
    },
    abandon() {
      closeWrite();
      unlink();
    },
    async complete(ms) {
      await relayHasIt;
      send({ type: 'exited', key });
      return awaitLogComplete(log, ms, key);
    },
  };
}

/**
 * Waits until the relay has written all of a log (its done marker), at most `ms`: a log is read
 * only once it is whole, and an escaped grandchild holding the pipe costs at most the wait.
 */
export async function awaitLogComplete(log: string, ms: number, key?: string): Promise<boolean> {
  // `ms` without progress: a relay still writing a large backlog (it redacts some 100 MB/s) is
  // waited for while the log grows, up to LOG_COMPLETE_MAX_MS in all.
  const hardStop = Date.now() + LOG_COMPLETE_MAX_MS;
  let until = Date.now() + ms;
  let size = -1;
  for (let pause = 2; ; pause = Math.min(pause * 2, 25)) {
    if (markerOf(log, key)) return true;
    const now = Date.now();
    const grown = sizeOf(log);
    if (grown !== size) { size = grown; until = Math.max(until, now + ms); }
    if (now >= Math.min(until, hardStop)) return false;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/** The longest a driver waits for a log to be complete, however long its relay keeps writing it. */
const LOG_COMPLETE_MAX_MS = 10 * 60_000;

function sizeOf(path: string): number {
  try { return statSync(path).size; } catch { return -1; }
}

// A marker of this attachment (`key`), or of any when adopting a log a previous driver's relay writes.
function markerOf(log: string, key: string | undefined): boolean {
  if (!existsSync(doneMarker(log))) return false;
  if (key === undefined) return true;
  try {
    return (JSON.parse(readFileSync(doneMarker(log), 'utf8')) as { key?: string }).key === key;
  } catch {
    return false;
  }
}

function send(message: Record<string, unknown>): boolean {
  const child = relay ?? startRelay();
  if (child === null || !child.connected) return false;
  try {
    child.send(message);
    return true;
  } catch {
    return false;
  }
}

// The relay has the raw file open (or never will): its name goes.
function opened(key: string): void {
  const done = awaitingOpen.get(key);
  awaitingOpen.delete(key);
  done?.();
}

function startRelay(): ChildProcess {
  const script = relayScript();
  // Detached, in a session of its own: a Ctrl-C or a SIGKILL of the driver does not reach it.
  // Its environment holds nothing but PATH: secrets come over the channel, with each process.
  const child = spawn(process.execPath, [script], {
    detached: true, stdio: ['ignore', 'ignore', 'ignore', 'ipc'], env: { PATH: process.env.PATH ?? '' },
  });
  child.on('message', (message: { type?: string; key?: string }) => {
    if ((message.type === 'opened' || message.type === 'failed') && message.key) opened(message.key);
  });
  const forget = () => {
    if (relay === child) relay = null;
    for (const key of [...awaitingOpen.keys()]) opened(key);
  };
  child.on('exit', forget);
  child.on('error', forget);
  // The driver's exit never waits for the relay.
  child.unref();
  child.channel?.unref();
  relay = child;
  return child;
}

/** The bundled relay beside this module (dist/cli/log-relay.js), from a chunk or from the sources. */
function relayScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, 'log-relay.js'), join(here, '..', 'log-relay.js'), join(here, '..', 'dist', 'cli', 'log-relay.js')]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`the log relay (log-relay.js) is not next to ${here}: run "npm run build"`);
}
