import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buran, eventsOf, makeSandbox, ROOT, statusOf, until, writePacket, type Sandbox } from '../helpers/sandbox.ts';
import { makeRepo, type FixtureRepo } from '../helpers/git-repo.ts';

const SLOW = join(ROOT, 'test', 'inspector', 'slow-worker.mjs');

/** A config whose implementer takes `delayMs` before doing its work; leases wait up to `waitMs`. */
function slowConfig(sb: Sandbox, name: string, delayMs: number, waitMs: number, ttlMs = 3_600_000): string {
  const worker = (role: string, mode: string) => ({
    command: ['node', SLOW, '--delay', String(role === 'implementer' ? delayMs : 0), '--log', sb.path(`${name}-${role}.calls.jsonl`), '--sequence', mode],
  });
  const path = sb.path(`${name}.config.json`);
  writeFileSync(path, JSON.stringify({
    workers: { implementer: worker('implementer', 'ok'), reviewer: worker('reviewer', 'pass') },
    verification: { allowed_commands: ['node check.mjs'] },
    limits: { max_fix_attempts: 0 },
    lease: { wait_ms: waitMs, poll_ms: 50, ttl_ms: ttlMs },
  }));
  return path;
}

function packetFor(sb: Sandbox, name: string, surface: string[]): string {
  return writePacket(sb, {
    task_id: name, conflict_surface: surface,
    scm_target: { repo: 'acme/widgets', base_branch: 'main', intended_branch: `buran/${name}` },
  }, `${name}.packet.json`);
}

function start(sb: Sandbox, r: FixtureRepo, name: string, surface: string[], delayMs: number, waitMs: number) {
  return buran(['run', packetFor(sb, name, surface), '--repo', r.repo, '--config', slowConfig(sb, name, delayMs, waitMs), '--registry', sb.registry, '--run-id', name], { env: r.env });
}

/** When a run's implementer process started and when the run ended (journal times, ms). */
async function timeline(sb: Sandbox, runId: string) {
  const events = await eventsOf(sb, runId);
  const at = (e: Record<string, any> | undefined) => (e ? Date.parse(e.at) : NaN);
  return {
    started: at(events.find((e) => e.type === 'worker.started')),
    finished: at(events.find((e) => e.type === 'worker.finished')),
    ended: at(events.filter((e) => e.type === 'run.transition').at(-1)),
    states: events.filter((e) => e.type === 'run.transition').map((e) => e.to),
  };
}

const stateOf = async (sb: Sandbox, id: string) => {
  try { return (await statusOf(sb, id)).state as string; } catch { return 'none'; }
};

describe('leases: conflict surfaces of runs on one repo', () => {
  it('a live run renews its claims before they expire, and releases them when it ends', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    const table = () => JSON.parse(readFileSync(join(sb.registry, 'leases', 'table.json'), 'utf8')).leases as Array<{ run_id: string; expires_at: string }>;
    const run = buran(['run', packetFor(sb, 'long', ['src/']), '--repo', r.repo, '--config', slowConfig(sb, 'long', 2500, 0, 600), '--registry', sb.registry, '--run-id', 'long'], { env: r.env });
    await waitForState(sb, 'long', 'running');
    const first = Date.parse(table()[0]!.expires_at);
    // The claim is pushed forward while the run lives (every third of its 600 ms TTL), and once past
    // the first expiry it still holds.
    await until(() => table().length > 0 && Date.parse(table()[0]!.expires_at) > first && Date.now() > first, 10_000);
    expect(Date.parse(table()[0]!.expires_at)).toBeGreaterThan(Date.now());
    expect((await run).code).toBe(0);
    expect(table()).toEqual([]);
  });

  it('a run whose surface overlaps a live run\'s waits for it, then proceeds', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    const first = start(sb, r, 'holder', ['src/'], 1500, 0);
    await waitForState(sb, 'holder', 'running');
    const second = await start(sb, r, 'waiter', ['./src/count.js'], 0, 30_000);
    expect(second.code, second.stderr).toBe(0);
    expect((await first).code).toBe(0);

    const holder = await timeline(sb, 'holder');
    const waiter = await timeline(sb, 'waiter');
    expect(waiter.states).toContain('waiting_for_lock.waiting');
    // The waiter's worker started only after the holder had ended and released its leases.
    expect(waiter.started).toBeGreaterThanOrEqual(holder.ended);
    expect((await statusOf(sb, 'waiter')).state).toBe('ready_for_manual_review');
  });

  it('ends blocked_lock_conflict naming the holder once lease.wait_ms runs out', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    const first = start(sb, r, 'holder', ['src'], 2500, 0);
    await waitForState(sb, 'holder', 'running');
    const second = await start(sb, r, 'late', ['src/widgets/'], 0, 300);
    expect(second.code).toBe(3);
    const status = await statusOf(sb, 'late');
    expect(status.state).toBe('blocked_lock_conflict');
    expect(status.blocker.code).toBe('lock_conflict');
    expect(status.blocker.message).toContain('leased to run holder');
    expect(status.blocker.message).toContain(`surface:${r.repo}#src`);
    // Its worktree is kept (CONTRACT 8), holding the branch a retry needs: clean first, then retry.
    expect(status.next_safe_action).toMatchObject({ kind: 'clean', command: `buran clean late --registry ${sb.registry}` });
    expect(status.next_safe_action.reason).toContain(`buran retry late --registry ${sb.registry}`);
    expect((await first).code).toBe(0);
  });

  it('two runs with disjoint surfaces and branches work at the same time', async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    const [a, b] = await Promise.all([start(sb, r, 'left', ['docs/'], 1200, 0), start(sb, r, 'right', ['src/'], 1200, 0)]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const left = await timeline(sb, 'left');
    const right = await timeline(sb, 'right');
    // Their implementers' lifetimes overlap: neither waited for the other.
    expect(left.started).toBeLessThan(right.finished);
    expect(right.started).toBeLessThan(left.finished);
    expect(left.states).not.toContain('waiting_for_lock.waiting');
    expect(right.states).not.toContain('waiting_for_lock.waiting');
  });
});

async function waitForState(sb: Sandbox, id: string, state: string): Promise<void> {
  const end = Date.now() + 15_000;
  while ((await stateOf(sb, id)) !== state) {
    if (Date.now() > end) throw new Error(`${id} never reached ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
