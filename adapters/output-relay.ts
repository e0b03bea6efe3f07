// The driver's side of the log relay (relay/log-relay.ts): a raw output file per started process,
// in a private temporary folder, handed to the one relay process of this driver before the process
// starts; the relay unlinks it once it holds it open and redacts what is written into the log. The
// driver never reads raw output.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProcessIdentity } from '../persistence/process-identity.ts';

/** One process's output on its way through the relay, which already holds the raw file. */
export interface RelayedOutput {
  /** The raw file, open for appending: the process's stdout and stderr. Closed by `started` (or `abandon`). */
  fd: number;
  /** The process exists: the driver lets go of the file, and the relay learns whose it is. */
  started(leader: ProcessIdentity): void;
  /** The process never started: the relay lets go of the file. */
  abandon(): void;
  /** The process and its group are gone: resolves once the log holds all they wrote (false when the wait ran out). */
  complete(ms: number): Promise<boolean>;
}

/** How long a relay may take to start and open a file (a cold Node start on a loaded machine). */
const RELAY_START_MS = 30_000;

/** Where the relay writes that a log is complete (naming the attachment it completes). */
export const doneMarker = (log: string) => `${log}.done`;

let relay: ChildProcess | null = null;
const awaitingOpen = new Map<string, (ok: boolean) => void>();
// Waiting for a log to be whole: woken by the relay's `done` message (the marker file is what counts).
const awaitingDone = new Map<string, () => void>();
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
 * never through a link), and hands it to the relay before the process exists: whatever happens to
 * the driver from then on, the relay follows the file. Throws when the relay cannot take it (it
 * did not start, or answer within RELAY_START_MS): the caller fails the start.
 */
export async function relayOutput(log: string, secrets: readonly string[], graceMs: number): Promise<RelayedOutput> {
  if (relay === null) startRelay();
  closeSync(openSync(log, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600));
  await rm(doneMarker(log), { force: true });
  const dir = mkdtempSync(join(tmpdir(), 'buran-out-'));
  const raw = join(dir, 'output');
  const fd = openSync(raw, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_EXCL, 0o600);
  const key = `${process.pid}-${++counter}`;
  const closeWrite = () => { try { closeSync(fd); } catch { /* closed */ } };
  // The timer also keeps this process alive while the relay starts (its channel is unref'd).
  let giveUp: NodeJS.Timeout | undefined;
  const taken = await new Promise<boolean>((resolve) => {
    awaitingOpen.set(key, resolve);
    giveUp = setTimeout(() => opened(key, false), RELAY_START_MS);
    if (!send({ type: 'attach', key, raw, log, done: doneMarker(log), secrets: [...secrets], graceMs })) opened(key, false);
  });
  clearTimeout(giveUp);
  // The relay unlinked it once it held it open; if it never did, the name goes now.
  rmSync(dir, { recursive: true, force: true });
  if (!taken) {
    closeWrite();
    throw new Error('the log relay did not take the output file');
  }
  return {
    fd,
    started(leader) {
      closeWrite();
      send({ type: 'leader', key, leader });
    },
    abandon() {
      closeWrite();
      send({ type: 'exited', key });
    },
    async complete(ms) {
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
    await new Promise<void>((resolve) => {
      const timer = setTimeout(wake, pause);
      function wake() {
        clearTimeout(timer);
        if (key !== undefined) awaitingDone.delete(key);
        resolve();
      }
      if (key !== undefined) awaitingDone.set(key, wake);
    });
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

// The relay has the raw file open (or never will).
function opened(key: string, ok: boolean): void {
  const done = awaitingOpen.get(key);
  awaitingOpen.delete(key);
  done?.(ok);
}

function startRelay(): ChildProcess {
  const script = relayScript();
  // Detached, in a session of its own: a Ctrl-C or a SIGKILL of the driver does not reach it.
  // Its environment holds nothing but PATH: secrets come over the channel, with each process.
  const child = spawn(process.execPath, [script], {
    detached: true, stdio: ['ignore', 'ignore', 'ignore', 'ipc'], env: { PATH: process.env.PATH ?? '' },
  });
  child.on('message', (message: { type?: string; key?: string }) => {
    if ((message.type === 'opened' || message.type === 'failed') && message.key) opened(message.key, message.type === 'opened');
    if (message.type === 'done' && message.key) awaitingDone.get(message.key)?.();
  });
  const forget = () => {
    if (relay === child) relay = null;
    for (const key of [...awaitingOpen.keys()]) opened(key, false);
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
