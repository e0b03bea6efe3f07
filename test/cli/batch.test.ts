import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchExitCode, nextStartable } from '../../machines/batch-rules.ts';
import { buran, CLI, eventsOf, makeSandbox, PACKET, ROOT, until, type Sandbox } from '../helpers/sandbox.ts';
import { makeRepo, type FixtureRepo } from '../helpers/git-repo.ts';

const SLOW = join(ROOT, 'test', 'inspector', 'slow-worker.mjs');
const base = JSON.parse(readFileSync(PACKET, 'utf8'));

function listOf(sb: Sandbox, packets: Array<Record<string, unknown>>): string {
  const path = sb.path('list.json');
  writeFileSync(path, JSON.stringify({ packets }));
  return path;
}

const packet = (i: number, patch: Record<string, unknown> = {}) => ({
  ...base, task_id: `item-${i}`, conflict_surface: [`area/${i}/`],
  scm_target: { repo: 'acme/widgets', base_branch: 'main', intended_branch: `buran/item-${i}` }, ...patch,
});

function config(sb: Sandbox, delayMs = 0): string {
  const worker = (role: string, mode: string) => ({
    command: ['node', SLOW, '--delay', String(delayMs), '--log', sb.path(`${role}.calls.jsonl`), '--sequence', mode],
  });
  const path = sb.path('config.json');
  writeFileSync(path, JSON.stringify({
    workers: { implementer: worker('implementer', 'ok'), reviewer: worker('reviewer', 'pass') },
    verification: { allowed_commands: ['node check.mjs'] },
    limits: { max_fix_attempts: 0 },
  }));
  return path;
}

const batch = (sb: Sandbox, r: FixtureRepo, args: string[]) =>
  buran(['batch', ...args, '--config', sb.path('config.json'), '--repo', r.repo, '--registry', sb.registry], { env: r.env });

/** Each run's life in wall time: created → its last transition. */
async function lifetimes(sb: Sandbox, runIds: string[]) {
  return Promise.all(runIds.map(async (id) => {
    const events = await eventsOf(sb, id);
    const states = events.filter((e) => e.type === 'run.transition' || e.type === 'run.created');
    return { id, from: Date.parse(states[0]!.at), to: Date.parse(states.at(-1)!.at), states: states.map((e) => e.to as string) };
  }));
}

const mostAtOnce = (spans: Array<{ from: number; to: number }>) =>
  Math.max(...spans.map((s) => spans.filter((o) => o.from <= s.from && s.from < o.to).length));

describe('buran batch', () => {
  it('runs one run per packet, at most N at once, and prints the batch id, a summary table and exit 0', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    config(sb, 300);
    const result = await batch(sb, r, [listOf(sb, [0, 1, 2, 3, 4].map((i) => packet(i))), '--concurrency', '2', '--batch-id', 'b1']);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe('b1');
    expect(lines.at(-1)).toBe('5 run(s): 5 ready, 0 blocked, 0 failed, 0 unfinished; cost $0.0000');
    const ids = [1, 2, 3, 4, 5].map((n) => `b1-000${n}-item-${n - 1}`);
    for (const id of ids) expect(result.stdout).toMatch(new RegExp(`${id}\\s+ready_for_manual_review`));
    // Not a TTY: plain start/finish lines on stderr.
    expect(result.stderr).toContain('started  b1-0001-item-0');
    expect(result.stderr).toContain('finished b1-0005-item-4  ready_for_manual_review');
    const spans = await lifetimes(sb, ids);
    expect(mostAtOnce(spans)).toBe(2);
  });

  it('eight runs at once on one repo all get their worktrees', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    config(sb);
    const result = await batch(sb, r, [listOf(sb, Array.from({ length: 8 }, (_, i) => packet(i))), '--concurrency', '8', '--json']);
    expect(result.code, result.stdout).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.totals.ready).toBe(8);
    for (const run of out.runs) {
      const types = (await eventsOf(sb, run.run_id)).map((e) => e.type);
      expect(types).toContain('workspace.ready');
      expect(types).toContain('workspace.removed');
    }
    expect(r.git('worktree', 'list').split('\n')).toHaveLength(1);
  });

  it('runs whose surfaces overlap take turns instead of blocking on the lease', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    config(sb, 200);
    const packets = [packet(0, { conflict_surface: ['src/'] }), packet(1, { conflict_surface: ['src/count.js'] }), packet(2, { conflict_surface: ['docs/'] })];
    const result = await batch(sb, r, [listOf(sb, packets), '--concurrency', '3', '--batch-id', 'b2', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.totals).toEqual({ runs: 3, ready: 3, blocked: 0, failed: 0, unfinished: 0, cost_usd: 0 });
    const [a, b, c] = await lifetimes(sb, out.runs.map((x: { run_id: string }) => x.run_id));
    expect(b!.from).toBeGreaterThanOrEqual(a!.to);
    expect(c!.from).toBeLessThan(a!.to);
    for (const span of [a, b, c]) expect(span!.states).not.toContain('waiting_for_lock.waiting');
  });

  it('exit 3 when a run ends blocked and none failed; the others still finish', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    config(sb);
    const result = await batch(sb, r, [listOf(sb, [packet(0), packet(1, { approved: false }), packet(2)]), '--json']);
    expect(result.code).toBe(3);
    const out = JSON.parse(result.stdout);
    expect(out.runs.map((x: { state: string }) => x.state)).toEqual(['ready_for_manual_review', 'blocked_plan_insufficient', 'ready_for_manual_review']);
    expect(out.runs[1].blocker).toBe('plan_insufficient');
  });

  it('bad input is exit 2 with nothing written: a list item that is not an object, an empty list, a bad --concurrency', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    config(sb);
    const notObject = await batch(sb, r, [listOf(sb, [packet(0), 'oops' as never])]);
    expect(notObject.code).toBe(2);
    expect(notObject.stderr).toContain('packets[1] must be a JSON/YAML object');
    expect((await batch(sb, r, [listOf(sb, [])])).code).toBe(2);
    expect((await batch(sb, r, [listOf(sb, [packet(0)]), '--concurrency', '0'])).code).toBe(2);
    expect(existsSync(sb.registry)).toBe(false);
    expect((await batch(sb, r, ['--resume', 'nope'])).code).toBe(5);
  });

  it('a batch whose stored packets were damaged is refused on --resume (exit 5 naming the file), not run on garbage', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    config(sb);
    expect((await batch(sb, r, [listOf(sb, [packet(0)]), '--batch-id', 'b7'])).code).toBe(0);
    const packets = join(sb.registry, 'batches', 'b7', 'packets.json');
    writeFileSync(packets, JSON.stringify(['not a packet']));
    const resumed = await buran(['batch', '--resume', 'b7', '--registry', sb.registry], { env: r.env });
    expect(resumed.code).toBe(5);
    expect(resumed.stderr).toContain(packets);
  });

  it('after the batch process is killed, --resume finishes it without running finished runs again', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    config(sb, 400);
    const list = listOf(sb, [0, 1, 2, 3].map((i) => packet(i)));
    const child = spawn(process.execPath, [CLI, 'batch', list, '--config', sb.path('config.json'), '--repo', r.repo, '--registry', sb.registry, '--batch-id', 'b5', '--concurrency', '1'], {
      env: { ...process.env, ...r.env }, stdio: 'ignore',
    });
    const progress = join(sb.registry, 'batches', 'b5', 'progress.jsonl');
    await until(() => existsSync(progress) && readFileSync(progress, 'utf8').split('\n').filter(Boolean).length >= 1, 30_000);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const doneBefore = readFileSync(progress, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).run_id as string);
    const startsBefore = await Promise.all(doneBefore.map(async (id) => (await eventsOf(sb, id)).filter((e) => e.type === 'worker.started').length));

    const resumed = await buran(['batch', '--resume', 'b5', '--registry', sb.registry, '--json'], { env: r.env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).totals).toEqual({ runs: 4, ready: 4, blocked: 0, failed: 0, unfinished: 0, cost_usd: 0 });
    // A run that had finished before the kill was not driven again: its journal did not grow a worker start.
    const startsAfter = await Promise.all(doneBefore.map(async (id) => (await eventsOf(sb, id)).filter((e) => e.type === 'worker.started').length));
    expect(startsAfter).toEqual(startsBefore);
    expect(startsBefore.every((n) => n === 2)).toBe(true);
    expect(sb.calls('implementer').length).toBeGreaterThanOrEqual(4);
  });
});

describe('buran batch stopped by SIGINT', () => {
  it('stops every active run resumably (exit 6, next: --resume), and --resume finishes the batch', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    config(sb, 1500);
    const list = listOf(sb, [0, 1, 2].map((i) => packet(i)));
    const child = spawn(process.execPath, [CLI, 'batch', list, '--config', sb.path('config.json'), '--repo', r.repo, '--registry', sb.registry, '--batch-id', 'b6', '--concurrency', '2'], {
      env: { ...process.env, ...r.env, BURAN_KILL_GRACE_MS: '300' },
    });
    let out = '';
    child.stdout.on('data', (d) => { out += String(d); });
    await until(() => sb.calls('implementer').length >= 2, 20_000);
    child.kill('SIGINT');
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(6);
    expect(out).toContain('next: buran batch --resume b6');
    expect(out).toMatch(/0 ready, 0 blocked, 0 failed, 3 unfinished/);

    const resumed = await buran(['batch', '--resume', 'b6', '--registry', sb.registry, '--json'], { env: r.env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).totals.ready).toBe(3);
  });
});

describe('buran batch on a terminal', () => {
  it('draws a live block (totals, one line per active run with state, worker and elapsed time) instead of plain lines', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    config(sb, 300);
    const list = listOf(sb, [0, 1, 2].map((i) => packet(i)));
    const command = [process.execPath, CLI, 'batch', list, '--config', sb.path('config.json'), '--repo', r.repo, '--registry', sb.registry, '--batch-id', 'tty', '--concurrency', '2']
      .map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    // `script` gives the CLI a pseudo-terminal, as a person's shell would.
    const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], { env: { ...process.env, ...r.env, NO_COLOR: '1' } });
      let out = '';
      child.stdout.on('data', (d) => { out += String(d); });
      child.on('exit', (code) => resolve({ code, out }));
    });
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/batch 3\/3 done {2}ready 3 {2}blocked 0 {2}failed 0 {2}active 0/);
    expect(result.out).toMatch(/tty-0001-item-0 {2}(running|verification|internal_review|handoff_ready|queued|waiting_for_lock)\s+.*\d+\.\ds/);
    expect(result.out).toContain('\x1b[2K');
    expect(result.out).not.toContain('started  tty-0001');
    expect(result.out).toContain('3 run(s): 3 ready, 0 blocked, 0 failed, 0 unfinished');
  });
});

describe('batch rules (pure)', () => {
  const clash = (a: string, b: string) => a[0] === b[0];
  it('starts the first queued run that conflicts with no active one, within the concurrency', () => {
    expect(nextStartable(['a1', 'b1', 'c1'], ['a2'], clash, 2)).toBe(1);
    expect(nextStartable(['a1', 'a3'], ['a2'], clash, 2)).toBe(-1);
    expect(nextStartable(['b1'], ['a2', 'c2'], clash, 2)).toBe(-1);
    expect(nextStartable([], [], clash, 2)).toBe(-1);
  });
  it('exit codes: all ready 0; any failed 4; else any blocked 3; stopped early 6; registry 5; bug 1', () => {
    expect(batchExitCode(['ready_for_manual_review', 'ready_for_manual_review'], false)).toBe(0);
    expect(batchExitCode(['ready_for_manual_review', 'blocked_needs_human'], false)).toBe(3);
    expect(batchExitCode(['failed_execution', 'blocked_needs_human'], false)).toBe(4);
    expect(batchExitCode(['ready_for_manual_review'], true)).toBe(6);
    expect(batchExitCode(['registry_error', 'failed_execution'], false)).toBe(5);
    expect(batchExitCode(['internal_error'], false)).toBe(1);
  });
});
