import { readdirSync, readFileSync } from 'node:fs';

/** A process named by pid and kernel start time, so a reused pid is not mistaken for it. */
export interface ProcessIdentity {
  pid: number;
  start: string | null;
}

/** The start time of a process as the kernel reports it (Linux), or null elsewhere/unknown. */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime) counts from after the parenthesised command name, which may hold spaces.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? null;
  } catch {
    return null;
  }
}

/** This process's identity. */
export function selfIdentity(): ProcessIdentity {
  return { pid: process.pid, start: processStart(process.pid) };
}

/** True while the identified process (not merely its pid) is alive and not a zombie. */
export function isAlive(identity: ProcessIdentity): boolean {
  try {
    process.kill(identity.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (isZombie(identity.pid)) return false;
  if (identity.start === null) return true;
  const start = processStart(identity.pid);
  return start === null || start === identity.start;
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/**
 * Finds a live process whose environment holds all these NAME=value pairs (Linux /proc).
 * It names a worker whose start a dead driver could not record: the run and task ids are
 * in every worker's environment.
 */
export function findProcessByEnv(pairs: Record<string, string>): ProcessIdentity | null {
  return findProcessesByEnv(pairs, 1)[0] ?? null;
}

/** Every live process (up to `limit`) whose environment holds all these NAME=value pairs (Linux /proc). */
export function findProcessesByEnv(pairs: Record<string, string>, limit = Infinity): ProcessIdentity[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const wanted = Object.entries(pairs).map(([name, value]) => `${name}=${value}`);
  const found: ProcessIdentity[] = [];
  for (const pid of pids) {
    if (found.length >= limit) break;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
    } catch {
      continue;
    }
    const vars = new Set(environ.split('\0'));
    if (wanted.every((w) => vars.has(w))) {
      const identity = { pid: Number(pid), start: processStart(Number(pid)) };
      if (isAlive(identity)) found.push(identity);
    }
  }
  return found;
}
