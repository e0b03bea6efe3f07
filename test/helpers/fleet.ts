// A fleet on one machine for tests: a shared bare origin, one clone and work root per runner host,
// a fresh database of the run's throwaway PostgreSQL as the registry, and `buran worker` processes
// (the built CLI) that the test starts, pauses and kills.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { onTestFinished } from 'vitest';
import { freshDatabase } from './postgres.ts';
import { buran as runCli, CLI, ROOT, type CliResult } from './sandbox.ts';
import { makeTempDir } from './temp.ts';

const FLEET_WORKER = join(ROOT, 'test', 'fixtures', 'fleet-worker.mjs');

/** One line a runner host printed (`buran worker --json`). */
export type HostEvent = { event: string; run_id?: string; kind?: string; state?: string; [key: string]: unknown };

export interface Call {
  what: 'start' | 'end';
  role: string;
  run: string;
  task: string;
  host: string;
  pid: number;
  at: number;
}

export class RunnerHost {
  readonly events: HostEvent[] = [];
  readonly exited: Promise<number | null>;
  private readonly waiters = new Set<() => void>();

  constructor(readonly id: string, readonly process: ChildProcess) {
    createInterface({ input: process.stdout! }).on('line', (line) => {
      try { this.events.push(JSON.parse(line) as HostEvent); } catch { /* not an event */ }
      for (const wake of this.waiters) wake();
    });
    this.exited = new Promise((resolve) => process.once('exit', (code) => { resolve(code); for (const wake of this.waiters) wake(); }));
  }

  /** Resolves with the first event that matches, waiting for it (bounded by the test's timeout). */
  async waitFor(match: (event: HostEvent) => boolean, what: string, timeoutMs = 60_000): Promise<HostEvent> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      if (Date.now() > until) throw new Error(`host ${this.id}: no ${what} within ${timeoutMs} ms; it printed ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        const wake = () => { this.waiters.delete(wake); clearTimeout(timer); resolve(); };
        const timer = setTimeout(wake, 200);
        this.waiters.add(wake);
      });
    }
  }

  signal(signal: NodeJS.Signals): void {
    this.process.kill(signal);
  }
}

export interface Fleet {
  dir: string;
  url: string;
  config: string;
  /** Starts `buran worker` for a host with its own clone and work root. */
  host(id: string, options?: { concurrency?: number }): RunnerHost;
  /** Runs the CLI against the fleet's registry, from a folder of no host. */
  buran(args: string[], env?: Record<string, string>): Promise<CliResult>;
  /** Writes a packet and submits it; returns the run id. */
  submit(taskId: string, fields?: { surface?: string[] }): Promise<string>;
  calls(role: string): Call[];
  touch(name: string): void;
  /** Polls `buran status` until the run's state passes `pred`. */
  waitForState(runId: string, pred: (state: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
}

/** A fleet for one test: everything is stopped and removed when it ends. */
export async function makeFleet(config: Record<string, unknown> = {}): Promise<Fleet> {
  const dir = makeTempDir('buran-fleet-');
  const { url } = await freshDatabase();
  const origin = join(dir, 'origin.git');
  const seed = join(dir, 'seed');
  mkdirSync(seed);
  writeFileSync(join(seed, 'check.mjs'), 'process.exit(0);\n');
  writeFileSync(join(seed, 'work.txt'), 'start\n');
  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, stdio: 'pipe' });
  git(seed, 'init', '-q', '-b', 'main');
  git(seed, 'add', '-A');
  git(seed, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'seed');
  git(dir, 'clone', '-q', '--bare', seed, origin);
  const worker = (role: string) => ({ command: [process.execPath, FLEET_WORKER, role], env: ['FLEET_DIR'] });
  const configPath = join(dir, 'buran.config.json');
  writeFileSync(configPath, JSON.stringify({
    workers: { implementer: worker('implementer'), fixer: worker('fixer'), reviewer: worker('reviewer') },
    verification: { allowed_commands: ['node check.mjs'] },
    lease: { poll_ms: 50 },
    fleet: { dead_after_ms: 1500 },
    ...config,
  }));
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ...process.env, BURAN_REGISTRY: url, FLEET_DIR: dir, BURAN_KILL_GRACE_MS: '500', ...extra });
  const hosts: RunnerHost[] = [];
  onTestFinished(async () => {
    for (const host of hosts) {
      if (host.process.exitCode === null && host.process.signalCode === null) {
        host.process.kill('SIGCONT');
        host.process.kill('SIGKILL');
      }
    }
    await Promise.all(hosts.map((h) => h.exited));
  });
  const buran = (args: string[], extra?: Record<string, string>) => runCli(args, { cwd: dir, env: { BURAN_REGISTRY: url, FLEET_DIR: dir, BURAN_HOST_ID: 'cli', ...extra } });
  return {
    dir, url, config: configPath, buran,
    host(id, options = {}) {
      const clone = join(dir, `clone-${id}`);
      if (!existsSync(clone)) git(dir, 'clone', '-q', origin, clone);
      const child = spawn(process.execPath, [CLI, 'worker', '--host-id', id, '--concurrency', String(options.concurrency ?? 1), '--config', configPath, '--json'], {
        cwd: clone, env: env({ BURAN_WORK_ROOT: join(dir, `work-${id}`), BURAN_HOST_ID: id }), stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stderr!.resume();
      const host = new RunnerHost(id, child);
      hosts.push(host);
      return host;
    },
    async submit(taskId, fields = {}) {
      const packet = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'packet.json'), 'utf8')) as Record<string, unknown> & { scm_target: Record<string, unknown> };
      packet.task_id = taskId;
      packet.scm_target = { ...packet.scm_target, intended_branch: `buran/${taskId}` };
      packet.conflict_surface = fields.surface ?? [`only/${taskId}/`];
      const path = join(dir, `${taskId}.json`);
      writeFileSync(path, JSON.stringify(packet));
      const submitted = await buran(['submit', path, '--config', configPath]);
      if (submitted.code !== 0) throw new Error(`submit failed: ${submitted.stderr}`);
      return submitted.stdout.trim();
    },
    calls(role) {
      const file = join(dir, `${role}.calls.jsonl`);
      return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Call) : [];
    },
    touch(name) {
      writeFileSync(join(dir, name), '');
    },
    async waitForState(runId, pred, what, timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const listed = await buran(['status', runId, '--json']);
        const state = listed.code === 0 ? (JSON.parse(listed.stdout) as { state: string }).state : '';
        if (pred(state)) return state;
        if (Date.now() > until) throw new Error(`run ${runId}: not ${what} within ${timeoutMs} ms (state ${state}; ${listed.stderr})`);
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    },
  };
}

/** Polls until `check` is true (bounded). */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`not ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
