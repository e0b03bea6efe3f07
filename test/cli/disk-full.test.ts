// Issue 16, faults: a registry whose disk is full is exit 5 "registry disk full", leaves no stray
// lock.*.new files and nothing half-written, and the run goes on once space is freed. The registry
// is a small tmpfs (the test needs root, as CI has).
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buran, makeSandbox, ROOT, runIn, statusOf, writeConfig, writePacket, type Sandbox } from '../helpers/sandbox.ts';

const mounts: string[] = [];
afterEach(() => {
  // Lazy: a relay still finishing a log (its grace period) may hold a file there a moment longer.
  for (const dir of mounts.splice(0)) execFileSync('umount', ['-l', dir]);
});

/** A registry folder on a tmpfs of `size` (e.g. "2m"), unmounted after the test. */
function smallDisk(sb: Sandbox, size: string): string {
  const dir = sb.path('registry');
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(`this test mounts a small tmpfs and needs root (CI runs as root): ${(error as Error).message}`);
  }
  mounts.push(dir);
  return dir;
}

function fill(path: string): void {
  const chunk = Buffer.alloc(16 * 1024, 120);
  try { for (;;) appendFileSync(path, chunk); } catch { /* ENOSPC */ }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? [path, ...filesUnder(path)] : [path];
  });
}

const HOSTILE = join(ROOT, 'test', 'fixtures', 'hostile-worker.mjs');

describe('a full registry disk', () => {
  it('at the start: exit 5 "registry disk full", no stack, nothing stray; once freed the same command works', async () => {
    const sb = makeSandbox();
    const registry = smallDisk(sb, '1m');
    fill(join(registry, 'filler'));
    const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] });
    const full = await runIn(sb, config, writePacket(sb), ['--run-id', 'first']);
    expect(full.code, full.stderr).toBe(5);
    expect(full.stderr).toMatch(/registry disk full/);
    expect(full.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(filesUnder(registry).filter((f) => /lock\..*\.new$|\.new-|\.tmp$/.test(f))).toEqual([]);

    rmSync(join(registry, 'filler'));
    const again = await runIn(sb, config, writePacket(sb), ['--run-id', 'first']);
    expect(again.code, again.stderr).toBe(0);
  });

  it('in the middle of a run: exit 5, the journal whole, no stray lock files; freed, resume ends the run as it would have', async () => {
    const sb = makeSandbox();
    const registry = smallDisk(sb, '4m');
    const path = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }, { limits: { max_fix_attempts: 0, max_dispatch_retries: 0 } });
    const config = JSON.parse(readFileSync(path, 'utf8'));
    config.workers.implementer = { command: ['node', HOSTILE, '--log', sb.path('implementer.calls.jsonl'), '--sequence', 'fill-disk,ok'] };
    writeFileSync(path, JSON.stringify(config));

    const full = await runIn(sb, path, writePacket(sb), ['--run-id', 'mid']);
    expect(full.code, full.stderr).toBe(5);
    expect(full.stderr).toMatch(/registry disk full/);
    expect(full.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(filesUnder(registry).filter((f) => /lock\..*\.new$|\.new-|\.tmp$/.test(f))).toEqual([]);
    // Every journal line that was written is whole: events reads it.
    expect((await buran(['events', 'mid', '--registry', sb.registry])).code).toBe(0);

    rmSync(join(registry, 'filler'));
    const resumed = await buran(['resume', 'mid', '--registry', sb.registry]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const status = await statusOf(sb, 'mid');
    expect(status.state).toBe('ready_for_manual_review');
    // The worker that filled the disk ended while its outcome could not be recorded: an interruption.
    expect(status.tasks.map((t: { status: string }) => t.status)).toEqual(['interrupted', 'completed', 'completed']);
  });
});
