// Runs a test can watch while they are live: workers that wait at a gate the test opens, and CLI
// processes whose output is read as it comes.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ROOT, WORKER, type Sandbox } from './sandbox.ts';

export const GATED_WORKER = join(ROOT, 'test', 'fixtures', 'gated-worker.mjs');

type Role = 'implementer' | 'fixer' | 'reviewer';

/**
 * Writes a config whose workers play the scripted fixture's modes; a gated role first prints
 * "<role> speaking: before the gate", waits until `openGate(sb, role)`, then prints "…: after the gate".
 */
export function writeGatedConfig(sb: Sandbox, plan: Partial<Record<Role, { mode: string; gated?: boolean; args?: string[] }>>, overrides: Record<string, unknown> = {}, name = 'gated.json'): string {
  const workers: Record<string, unknown> = {};
  for (const [role, { mode, gated, args = [] }] of Object.entries(plan)) {
    const fixture = [WORKER, '--sequence', mode, ...args];
    workers[role] = { command: gated ? ['node', GATED_WORKER, '--say', `${role} speaking`, '--gate', sb.path(`${role}.go`), ...fixture] : ['node', ...fixture] };
  }
  const path = sb.path(name);
  writeFileSync(path, JSON.stringify({ workers, verification: { allowed_commands: ['node check.mjs'] }, limits: { max_fix_attempts: 0, max_dispatch_retries: 0 }, ...overrides }, null, 2));
  return path;
}

/** Lets a gated worker of `role` finish. */
export const openGate = (sb: Sandbox, role: Role) => writeFileSync(sb.path(`${role}.go`), '');

/** A CLI process whose output is collected as it comes. */
export interface LiveCli {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number>;
}

/** Starts `buran ARGS…` without waiting for it. */
export function startCli(args: string[], env: Record<string, string> = {}): LiveCli {
  const proc = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, BURAN_KILL_GRACE_MS: '300', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => { out += d; });
  proc.stderr!.on('data', (d) => { err += d; });
  const exited = new Promise<number>((resolve) => proc.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  return { proc, out: () => out, err: () => err, exited };
}
