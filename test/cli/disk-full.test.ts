// Issue 16, faults: a registry whose disk is full is exit 5 "registry disk full", leaves no stray
// lock.*.new files and nothing half-written, and the run goes on once space is freed. The registry
// is a small tmpfs mounted in namespaces of the test's own (no root needed; see onSmallDisk).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, makeSandbox, ROOT, writeConfig, writePacket, type Sandbox } from '../helpers/sandbox.ts';

const SMALL_DISK = join(ROOT, 'test', 'fixtures', 'small-disk.mjs');

type Step = { fill: string } | { remove: string } | { cli: string[] } | { files: string };
type Seen = { code?: number; stdout?: string; stderr?: string; files?: string[] };

/**
 * Runs `steps` with the sandbox's registry on a tmpfs of `size` (e.g. "2m"), in mount and user
 * namespaces of their own (`unshare -rm`: no root needed, nothing mounted outside); what each
 * step saw, in order.
 */
function onSmallDisk(sb: Sandbox, size: string, steps: Step[]): Seen[] {
  mkdirSync(sb.registry, { recursive: true });
  const plan = sb.path('small-disk-plan.json');
  writeFileSync(plan, JSON.stringify({ size, registry: sb.registry, cli: CLI, env: { BURAN_KILL_GRACE_MS: '300' }, steps }));
  const out = spawnSync('unshare', ['-rm', process.execPath, SMALL_DISK, plan], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000, killSignal: 'SIGKILL' });
  if (out.status !== 0) {
    throw new Error(`this test mounts a small tmpfs in namespaces of its own (unshare -rm, util-linux; unprivileged user namespaces): ${out.error?.message ?? out.stderr}`);
  }
  return JSON.parse(out.stdout.trim().split('\n').at(-1)!) as Seen[];
}

const strays = (files: string[] | undefined) => (files ?? []).filter((f) => /lock\..*\.new$|\.new-|\.tmp$/.test(f));

const HOSTILE = join(ROOT, 'test', 'fixtures', 'hostile-worker.mjs');

describe('a full registry disk', () => {
  it('at the start: exit 5 "registry disk full", no stack, nothing stray; once freed the same command works', () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] });
    const run = ['run', writePacket(sb), '--config', config, '--workspace', sb.workspace, '--registry', sb.registry, '--run-id', 'first'];
    const filler = join(sb.registry, 'filler');
    const [, full, files, , again] = onSmallDisk(sb, '1m', [{ fill: filler }, { cli: run }, { files: sb.registry }, { remove: filler }, { cli: run }]);
    expect(full!.code, full!.stderr).toBe(5);
    expect(full!.stderr).toMatch(/registry disk full/);
    expect(full!.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(strays(files!.files)).toEqual([]);
    expect(again!.code, again!.stderr).toBe(0);
  });

  it('in the middle of a run: exit 5, the journal whole, no stray lock files; freed, resume ends the run as it would have', () => {
    const sb = makeSandbox();
    const path = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }, { limits: { max_fix_attempts: 0, max_dispatch_retries: 0 } });
    const config = JSON.parse(readFileSync(path, 'utf8'));
    config.workers.implementer = { command: ['node', HOSTILE, '--log', sb.path('implementer.calls.jsonl'), '--sequence', 'fill-disk,ok'] };
    writeFileSync(path, JSON.stringify(config));
    const registry = ['--registry', sb.registry];

    const [full, files, events, , resumed, status] = onSmallDisk(sb, '4m', [
      { cli: ['run', writePacket(sb), '--config', path, '--workspace', sb.workspace, ...registry, '--run-id', 'mid'] },
      { files: sb.registry },
      // Every journal line that was written is whole: events reads it.
      { cli: ['events', 'mid', ...registry] },
      { remove: join(sb.registry, 'filler') },
      { cli: ['resume', 'mid', ...registry] },
      { cli: ['status', 'mid', '--json', ...registry] },
    ]);
    expect(full!.code, full!.stderr).toBe(5);
    expect(full!.stderr).toMatch(/registry disk full/);
    expect(full!.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(strays(files!.files)).toEqual([]);
    expect(events!.code, events!.stderr).toBe(0);
    expect(resumed!.code, resumed!.stderr).toBe(0);
    const view = JSON.parse(status!.stdout!) as { state: string; tasks: Array<{ status: string }> };
    expect(view.state).toBe('ready_for_manual_review');
    // The worker that filled the disk ended while its outcome could not be recorded: an interruption.
    expect(view.tasks.map((t) => t.status)).toEqual(['interrupted', 'completed', 'completed']);
  });
});
