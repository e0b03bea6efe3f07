import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from './temp.ts';

/** The project root (tests run the built CLI as a user would). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built CLI under test (BURAN_TEST_CLI: another build, e.g. to show a new test fails on an older one). */
export const CLI = process.env.BURAN_TEST_CLI ?? join(ROOT, 'dist', 'cli', 'main.js');
export const WORKER = join(ROOT, 'test', 'fixtures', 'worker.mjs');
export const PACKET = join(ROOT, 'test', 'fixtures', 'packet.json');

/** A scratch folder with a workspace, a registry and a place for worker call logs. */
export interface Sandbox {
  dir: string;
  workspace: string;
  registry: string;
  /** Calls log of a role's fixture worker (one JSON line per start). */
  calls: (role: string) => Array<Record<string, unknown>>;
  path: (name: string) => string;
}

/**
 * Creates a sandbox whose workspace holds check.mjs (exit code read from check-exit.txt, default 0).
 * It is removed when the test ends, with every process still using it (makeTempDir).
 */
export function makeSandbox(): Sandbox {
  const dir = makeTempDir('buran-test-');
  const workspace = join(dir, 'ws');
  mkdirSync(workspace);
  writeFileSync(join(workspace, 'check.mjs'), CHECK_SCRIPT);
  return {
    dir,
    workspace,
    registry: join(dir, 'registry'),
    path: (name) => join(dir, name),
    calls: (role) => {
      const file = join(dir, `${role}.calls.jsonl`);
      if (!existsSync(file)) return [];
      return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    },
  };
}

// Verification fixture: plays the n-th exit code of check-exit.txt ("1,0" fails once then passes);
// "needs-fix" fails until a worker started with --touch fixed.txt has run (same result on re-runs).
const CHECK_SCRIPT = `import { existsSync, readFileSync, appendFileSync } from 'node:fs';
const codes = existsSync('check-exit.txt') ? readFileSync('check-exit.txt', 'utf8').trim().split(',') : ['0'];
if (codes[0] === 'needs-fix') process.exit(existsSync('fixed.txt') ? 0 : 1);
const runs = existsSync('.check-runs') ? readFileSync('.check-runs', 'utf8').length : 0;
appendFileSync('.check-runs', 'x');
const code = Number(codes[Math.min(runs, codes.length - 1)]);
if (code !== 0) console.error('check failed: expected 3 widgets, got 2');
if (code === 99) setInterval(() => {}, 1000); else process.exit(code);
`;

/** Worker settings per role: the fixture modes it plays in order, or omitted for "not configured". */
export interface WorkerPlan {
  implementer?: string[];
  fixer?: string[];
  reviewer?: string[];
  timeoutMs?: number;
  extra?: Record<string, unknown>;
  /** Extra arguments per role for the fixture worker (e.g. ['--touch', 'fixed.txt']). */
  args?: Partial<Record<'implementer' | 'fixer' | 'reviewer', string[]>>;
}

/** Writes a config whose workers are the scripted fixture; returns its path. */
export function writeConfig(sandbox: Sandbox, plan: WorkerPlan, overrides: Record<string, unknown> = {}): string {
  const workers: Record<string, unknown> = {};
  for (const role of ['implementer', 'fixer', 'reviewer'] as const) {
    const modes = plan[role];
    if (!modes) continue;
    workers[role] = {
      command: ['node', WORKER, '--log', sandbox.path(`${role}.calls.jsonl`), '--sequence', modes.join(','), '--pids', sandbox.path(`${role}.pids.json`), ...(plan.args?.[role] ?? [])],
      ...(plan.timeoutMs ? { timeout_ms: plan.timeoutMs } : {}),
      ...(plan.extra ?? {}),
    };
  }
  // Without a fixer a run can reach, the preflight blocks it: a plan with no fixer gets no fix budget.
  const limits = { max_fix_attempts: plan.fixer ? 2 : 0, max_dispatch_retries: 2 };
  const config = { workers, verification: { allowed_commands: ['node check.mjs'] }, limits, ...overrides };
  const path = sandbox.path('config.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/** Writes a packet (the fixture packet with fields replaced) and returns its path. */
export function writePacket(sandbox: Sandbox, patch: Record<string, unknown> = {}, name = 'packet.json'): string {
  const base = JSON.parse(readFileSync(PACKET, 'utf8'));
  const path = sandbox.path(name);
  writeFileSync(path, JSON.stringify({ ...base, ...patch }, null, 2));
  return path;
}

/** Result of one CLI process. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The signal that ended the process, if one did (then `code` is 1). */
  signal?: string | null;
}

/** Runs the built CLI as a real process. */
export function buran(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [CLI, ...args], {
      cwd: options.cwd, env: { ...process.env, BURAN_KILL_GRACE_MS: '300', ...options.env }, maxBuffer: 16 * 1024 * 1024,
    }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolvePromise({ code, stdout, stderr, signal: error?.signal ?? null });
    });
  });
}

/** `buran run` in a sandbox with its config and registry; returns the result and the run id. */
export async function runIn(sandbox: Sandbox, config: string, packet: string, extra: string[] = [], env: Record<string, string> = {}) {
  const result = await buran(['run', packet, '--config', config, '--workspace', sandbox.workspace, '--registry', sandbox.registry, ...extra], { env });
  const runId = result.stdout.split('\n')[0] ?? '';
  return { ...result, runId };
}

/** `buran status ID --json`, parsed. */
export async function statusOf(sandbox: Sandbox, runId: string): Promise<Record<string, any>> {
  const result = await buran(['status', runId, '--json', '--registry', sandbox.registry]);
  if (result.code !== 0) throw new Error(`status exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** `buran events ID --json`, parsed. */
export async function eventsOf(sandbox: Sandbox, runId: string): Promise<Array<Record<string, any>>> {
  const result = await buran(['events', runId, '--json', '--registry', sandbox.registry]);
  if (result.code !== 0) throw new Error(`events exited ${result.code}: ${result.stderr}`);
  return result.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** True once no process has this pid (kill 0 fails). */
export const processGone = (pid: number) => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};

/** Polls a condition every 25 ms; rejects after `ms`. */
export async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Runs a next_safe_action command exactly as written, in a shell whose `buran` is the built CLI. */
export function runAsWritten(sandbox: Sandbox, command: string, env: Record<string, string> = {}): Promise<CliResult> {
  const bin = sandbox.path('bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'buran'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 });
  return new Promise((resolvePromise) => {
    execFile('/bin/sh', ['-c', command], {
      cwd: sandbox.dir, env: { ...process.env, BURAN_KILL_GRACE_MS: '300', ...env, PATH: `${bin}:${env.PATH ?? process.env.PATH}` }, maxBuffer: 16 * 1024 * 1024,
    }, (error, stdout, stderr) => resolvePromise({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }));
  });
}
