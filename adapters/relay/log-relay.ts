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
// Protocol (IPC, JSON), driver → relay: `attach` { key, raw, log, done, secrets, graceMs } before
// the process starts (the relay holds the file before anything is written to it); `leader` { key,
// leader } once it exists; `exited` { key } once its group is gone. Relay → driver: `opened` { key }
// (or `failed`), `done` { key }. The relay writes `done` (a marker file naming the key) once the
// log holds everything written up to the exit (told, or seen: the leader gone, or — when the driver
// died before it could say who the leader was — no process left holding the file), then goes on
// following the file for `graceMs` (a grandchild that escaped the group may still write) and lets
// go. It exits once the driver is gone and nothing is left to follow.
import { closeSync, constants, fstatSync, openSync, readdirSync, readFileSync, readSync, rmdirSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { StreamRedactor } from '../stream-redactor.ts';

interface Leader {
  pid: number;
  start: string | null;
}

interface Attach {
  type: 'attach';
  key: string;
  raw: string;
  log: string;
  done: string;
  secrets: string[];
  graceMs: number;
}

type Message = Attach | { type: 'leader'; key: string; leader: Leader } | { type: 'exited'; key: string };

const POLL_MS = 25;
/** How often a file whose leader was never told is checked for writers still holding it. */
const WRITER_SCAN_MS = 1000;
const CHUNK = 256 * 1024;

const following = new Map<string, { leader: (leader: Leader) => void; exited: () => void }>();
let connected = true;

process.on('message', (message: Message) => {
  if (message?.type === 'leader') following.get(message.key)?.leader(message.leader);
  else if (message?.type === 'exited') following.get(message.key)?.exited();
  else if (message?.type === 'attach') {
    try {
      follow(message);
    } catch (error) {
      tell({ type: 'failed', key: message.key, message: (error as Error).message });
    }
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
  const log = openSync(message.log, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  // Unlinked at once: raw output keeps no name, whatever happens to the driver.
  try { unlinkSync(message.raw); rmdirSync(dirname(message.raw)); } catch { /* the driver's turn (its folder is its own) */ }
  tell({ type: 'opened', key: message.key });
  const identity = fstatSync(raw);
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
  let leader: Leader | null = null;
  let exitedAt: number | null = null;
  let leaderGoneAt: number | null = null;
  let scannedAt = 0;
  let closed = false;
  const markDone = () => {
    drain();
    write(redactor.end());
    if (dropped > 0) write(`\n[buran: ${dropped} bytes of output were lost: the disk was full]\n`);
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
      if (exitedAt !== null) {
        if (Date.now() - exitedAt >= message.graceMs) close();
        return;
      }
      // A driver that died cannot tell the exit: it is seen here instead, after a grace period
      // for whatever the process left to finish writing.
      if (leaderGoneAt === null) {
        if (leader !== null && !alive(leader)) leaderGoneAt = Date.now();
        // The driver died before it could say who the leader was: the file's own writers are looked for.
        if (leader === null && !connected && Date.now() - scannedAt >= WRITER_SCAN_MS) {
          scannedAt = Date.now();
          if (!heldByAnyone(identity)) leaderGoneAt = Date.now();
        }
      }
      if (leaderGoneAt !== null && Date.now() - leaderGoneAt >= message.graceMs) exited();
    } catch {
      close();
    }
  }, POLL_MS);
  following.set(message.key, { leader: (l) => { leader = l; }, exited });
}

function alive(leader: Leader): boolean {
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

// Whether any process but this one has the file open (Linux /proc): its writers, if any are left.
function heldByAnyone(file: { dev: number; ino: number }): boolean {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid);
  } catch {
    return true;
  }
  for (const pid of pids) {
    let fds: string[];
    try { fds = readdirSync(`/proc/${pid}/fd`); } catch { continue; }
    for (const fd of fds) {
      try {
        const s = statSync(`/proc/${pid}/fd/${fd}`);
        if (s.ino === file.ino && s.dev === file.dev) return true;
      } catch { /* gone */ }
    }
  }
  return false;
}

function tell(message: Record<string, unknown>): void {
  if (connected && process.connected) {
    try { process.send?.(message); } catch { /* the driver is gone */ }
  }
}

function exitWhenIdle(): void {
  if (!connected && following.size === 0) process.exit(0);
}
