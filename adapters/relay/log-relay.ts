// The log relay: one small process per driver that follows every started process's raw output
// and writes it, redacted as it comes, to that process's log. It is started detached, so it
// outlives a driver killed with SIGKILL (its workers' output is still redacted), and the driver
// never reads raw output itself. Secrets reach it only over the IPC channel, never a file.
//
// A process writes into a raw file of its own (a plain file: writes never block and are never cut
// short by an exit, /dev/stdout works, and the process outlives the relay). The file lives in a
// private temporary folder, and is unlinked as soon as the relay has it open: raw output, secrets
// included, has no name on disk from then on, and never any in the registry.
//
// Protocol (IPC, JSON), driver → relay: `attach` { key, raw, log, done, secrets, leader, graceMs };
// `exited` { key } once the process's group is gone. Relay → driver: `opened` { key } (the raw
// file, unlinked by then), `done` { key }. The relay writes `done` (a marker file) once the log
// holds everything written so far after the exit (told, or seen: the leader is gone), then goes on
// following the raw file for `graceMs` (a grandchild that escaped the group may still write) and
// lets go. It exits once the driver is gone and nothing is left to follow.
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, rmdirSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { StreamRedactor } from '../stream-redactor.ts';

interface Attach {
  type: 'attach';
  key: string;
  raw: string;
  log: string;
  done: string;
  secrets: string[];
  leader: { pid: number; start: string | null };
  graceMs: number;
}

const POLL_MS = 25;
const CHUNK = 256 * 1024;

const following = new Map<string, { exited: () => void }>();
let connected = true;

process.on('message', (message: Attach | { type: 'exited'; key: string }) => {
  if (message?.type === 'exited') {
    following.get(message.key)?.exited();
    return;
  }
  if (message?.type !== 'attach') return;
  try {
    follow(message);
  } catch (error) {
    tell({ type: 'failed', key: message.key, message: (error as Error).message });
  }
});
process.on('disconnect', () => {
  connected = false;
  exitWhenIdle();
});
// A relay never dies of a signal meant for a terminal it does not have.
process.on('SIGHUP', () => {});
process.on('SIGINT', () => {});

function follow(message: Attach): void {
  const raw = openSync(message.raw, constants.O_RDONLY | constants.O_NOFOLLOW);
  // Unlinked at once (the driver also does, once told): raw output keeps no name, even if the driver is gone.
  try { unlinkSync(message.raw); rmdirSync(dirname(message.raw)); } catch { /* the driver's turn (its folder is its own) */ }
  tell({ type: 'opened', key: message.key });
  const log = openSync(message.log, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  const redactor = new StreamRedactor(message.secrets);
  const buffer = Buffer.alloc(CHUNK);
  let offset = 0;
  let dropped = 0;
  const write = (text: string) => {
    if (text === '') return;
    try {
      writeSync(log, text);
    } catch {
      // A full disk: reading goes on (the raw file is freed when the process ends); the loss is counted.
      dropped += Buffer.byteLength(text);
    }
  };
  const drain = () => {
    const size = fstatSync(raw).size;
    // Truncated (`> /dev/stdout` opens the file again with O_TRUNC): followed from its new start, as tail -F does.
    if (size < offset) offset = 0;
    while (offset < size) {
      const n = readSync(raw, buffer, 0, Math.min(CHUNK, size - offset), offset);
      if (n === 0) break;
      offset += n;
      write(redactor.push(buffer.subarray(0, n)));
    }
  };

  // Phases: following the running process → (exit told or seen) marker written, then following
  // for the grace period → closed.
  let exitedAt: number | null = null;
  let leaderGoneAt: number | null = null;
  let closed = false;
  const markDone = () => {
    drain();
    write(redactor.end());
    if (dropped > 0) write(`\n[buran: ${dropped} bytes of output were lost: the disk was full]\n`);
    // The key says whose: a relay of a killed driver may finish an older attachment of the same log late.
    try { writeFileSync(message.done, JSON.stringify({ key: message.key, at: new Date().toISOString(), bytes: offset, dropped })); } catch { /* best effort */ }
    tell({ type: 'done', key: message.key });
  };
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    drain();
    write(redactor.end());
    closeSync(raw);
    closeSync(log);
    following.delete(message.key);
    exitWhenIdle();
  };
  const exited = () => {
    if (exitedAt !== null) return;
    exitedAt = Date.now();
    markDone();
  };
  const timer = setInterval(() => {
    try {
      drain();
      if (exitedAt === null) {
        // A driver that died cannot tell the exit: the leader's end is seen here, after a grace
        // period for anything it left to finish writing.
        if (leaderGoneAt === null && !alive(message.leader)) leaderGoneAt = Date.now();
        if (leaderGoneAt !== null && Date.now() - leaderGoneAt >= message.graceMs) exited();
      } else if (Date.now() - exitedAt >= message.graceMs) {
        close();
      }
    } catch {
      close();
    }
  }, POLL_MS);
  following.set(message.key, { exited });
}

function alive(leader: { pid: number; start: string | null }): boolean {
  try {
    process.kill(leader.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${leader.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return false;
    return leader.start === null || fields[19] === leader.start;
  } catch {
    return true;
  }
}

function tell(message: Record<string, unknown>): void {
  if (connected && process.connected) {
    try { process.send?.(message); } catch { /* the driver is gone */ }
  }
}

function exitWhenIdle(): void {
  if (!connected && following.size === 0) process.exit(0);
}
