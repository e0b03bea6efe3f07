import { describe, expect, it } from 'vitest';
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeSandbox, runIn, statusOf, writeConfig, writePacket, type Sandbox, type WorkerPlan } from '../helpers/sandbox.ts';

// CONTRACT 4 and 5: every way a dispatch or a gate can fail closed, driven through the built CLI.

const limits = (max_dispatch_retries: number, max_fix_attempts = 0) => ({ limits: { max_fix_attempts, max_dispatch_retries } });

/** One run in a fresh sandbox; `setup` may write workspace files (check-exit.txt) before it starts. */
async function scenario(plan: WorkerPlan, overrides: Record<string, unknown> = {}, packetPatch: Record<string, unknown> = {}, setup?: (sb: Sandbox) => void) {
  const sb = makeSandbox();
  setup?.(sb);
  const run = await runIn(sb, writeConfig(sb, plan, overrides), writePacket(sb, packetPatch));
  return { sb, run };
}

interface Expected {
  exit?: number;
  state?: string;
  code: string;
  cause?: string;
  next?: string;
}

/** The run ended where expected, and its status names a structured blocker and a next safe action. */
async function expectStopped(sb: Sandbox, run: Awaited<ReturnType<typeof runIn>>, want: Expected) {
  const state = want.state ?? 'blocked_needs_human';
  expect(run.code, `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(want.exit ?? 3);
  expect(run.stdout).toContain(`state: ${state}`);
  const status = await statusOf(sb, run.runId);
  expect(status).toMatchObject({ run_id: run.runId, state, terminal: true, current_task: null });
  expect(status.blocker).not.toBeNull();
  expect(status.blocker.code).toBe(want.code);
  expect(status.blocker.cause).toBe(want.cause);
  expect(typeof status.blocker.message).toBe('string');
  expect(status.blocker.message.length).toBeGreaterThan(0);
  expect(status.blockers).toContainEqual(status.blocker);
  expect(typeof status.next_safe_action.kind).toBe('string');
  expect(typeof status.next_safe_action.reason).toBe('string');
  expect(status.next_safe_action.reason.length).toBeGreaterThan(0);
  if (want.next) expect(status.next_safe_action.kind).toBe(want.next);
  return status;
}

/** Each retry is a new task id for the same stage attempt (CONTRACT 4). */
function expectRetriesOfOneAttempt(calls: Array<Record<string, unknown>>, n: number) {
  expect(calls).toHaveLength(n);
  expect(new Set(calls.map((c) => c.task_id)).size).toBe(n);
  expect(new Set(calls.map((c) => c.attempt))).toEqual(new Set([1]));
}

const gone = (pid: number) => {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
};

/** Pids of live processes whose working directory is `dir` (Linux /proc). */
function processesIn(dir: string): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try { return readlinkSync(`/proc/${d}/cwd`) === dir; } catch { return false; }
  }).map(Number);
}

async function waitGone(pid: number, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (gone(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return gone(pid);
}

describe('fail-closed dispatch (CONTRACT 4)', () => {
  it('completion_missing is retried, then retry_exhausted with cause completion_missing', async () => {
    const { sb, run } = await scenario({ implementer: ['missing'], reviewer: ['pass'] }, limits(2));
    const status = await expectStopped(sb, run, { code: 'retry_exhausted', cause: 'completion_missing', next: 'manual_review' });
    const calls = sb.calls('implementer');
    expectRetriesOfOneAttempt(calls, 3);
    expect(status.blocker.task_id).toBe(calls[2]!.task_id);
    expect(status.tasks.map((t: any) => [t.task_id, t.code])).toEqual(calls.map((c) => [c.task_id, 'completion_missing']));
    expect(sb.calls('reviewer')).toHaveLength(0);
  });

  it('completion_invalid is retried, then retry_exhausted with cause completion_invalid', async () => {
    const { sb, run } = await scenario({ implementer: ['invalid'], reviewer: ['pass'] }, limits(2));
    await expectStopped(sb, run, { code: 'retry_exhausted', cause: 'completion_invalid' });
    expectRetriesOfOneAttempt(sb.calls('implementer'), 3);
  });

  it('a dispatch that fails once and then succeeds reaches ready_for_manual_review', async () => {
    const { sb, run } = await scenario({ implementer: ['missing', 'ok'], reviewer: ['pass'] }, limits(2));
    expect(run.code, run.stderr).toBe(0);
    const status = await statusOf(sb, run.runId);
    expect(status).toMatchObject({ state: 'ready_for_manual_review', blocker: null });
    expectRetriesOfOneAttempt(sb.calls('implementer'), 2);
    expect(sb.calls('reviewer')).toHaveLength(1);
  });

  it('completion_conflict fails closed at once, without a retry', async () => {
    const { sb, run } = await scenario({ implementer: ['conflict', 'ok'], reviewer: ['pass'] }, limits(2));
    const status = await expectStopped(sb, run, { code: 'completion_conflict', next: 'manual_review' });
    expect(sb.calls('implementer')).toHaveLength(1);
    expect(status.blocker.task_id).toBe(sb.calls('implementer')[0]!.task_id);
    expect(existsSync(join(sb.workspace, '.check-runs'))).toBe(false);
  });

  it('worker_timeout kills the worker and its grandchild, then retry_exhausted with cause worker_timeout', async () => {
    const { sb, run } = await scenario({ implementer: ['hang'], reviewer: ['pass'], timeoutMs: 400 }, limits(0));
    await expectStopped(sb, run, { code: 'retry_exhausted', cause: 'worker_timeout' });
    expect(sb.calls('implementer')).toHaveLength(1);
    const pids = JSON.parse(readFileSync(sb.path('implementer.pids.json'), 'utf8')) as { worker: number; grandchild: number };
    expect(await waitGone(pids.worker), `worker pid ${pids.worker} still alive`).toBe(true);
    expect(await waitGone(pids.grandchild), `grandchild pid ${pids.grandchild} still alive`).toBe(true);
  });

  it('worker_blocked is not retried', async () => {
    const { sb, run } = await scenario({ implementer: ['blocked', 'ok'], reviewer: ['pass'] }, limits(2));
    await expectStopped(sb, run, { code: 'worker_blocked', next: 'manual_review' });
    expect(sb.calls('implementer')).toHaveLength(1);
  });

  it('review_blocked (reviewer verdict BLOCKED) is not retried', async () => {
    const { sb, run } = await scenario({ implementer: ['ok'], reviewer: ['review-blocked', 'pass'] }, limits(2));
    const status = await expectStopped(sb, run, { code: 'review_blocked' });
    expect(sb.calls('reviewer')).toHaveLength(1);
    // Like every task blocker, it names the task, its epoch and its attempt.
    expect(status.blocker).toMatchObject({ task_id: 't2-reviewer', epoch: 1, attempt: 1 });
    expect(status.blocker.message).toMatch(/design doc/);
  });

  it('a reviewer completion without a verdict is completion_invalid and is retried', async () => {
    const { sb, run } = await scenario({ implementer: ['ok'], reviewer: ['no-verdict'] }, limits(2));
    const status = await expectStopped(sb, run, { code: 'retry_exhausted', cause: 'completion_invalid' });
    expectRetriesOfOneAttempt(sb.calls('reviewer'), 3);
    expect(status.tasks.filter((t: any) => t.role === 'reviewer').map((t: any) => t.code)).toEqual(Array(3).fill('completion_invalid'));
  });

  it('implementer worker_failed exhaustion ends failed_execution (exit 4)', async () => {
    const { sb, run } = await scenario({ implementer: ['exit3', 'failed'], reviewer: ['pass'] }, limits(2));
    await expectStopped(sb, run, { exit: 4, state: 'failed_execution', code: 'retry_exhausted', cause: 'worker_failed' });
    expectRetriesOfOneAttempt(sb.calls('implementer'), 3);
  });

  it('a fixer that keeps failing ends blocked_needs_human, not failed_execution', async () => {
    const { sb, run } = await scenario({ implementer: ['ok'], fixer: ['failed', 'exit3'], reviewer: ['pass'] }, limits(2, 2), {}, (s) =>
      writeFileSync(join(s.workspace, 'check-exit.txt'), '1'));
    await expectStopped(sb, run, { code: 'retry_exhausted', cause: 'worker_failed' });
    expect(sb.calls('implementer')).toHaveLength(1);
    const fixes = sb.calls('fixer');
    expectRetriesOfOneAttempt(fixes, 3);
    expect(fixes.every((c) => Number(c.findings) > 0)).toBe(true);
  });
});

describe('fail-closed gates and config (CONTRACT 5)', () => {
  it('policy_denied is decided at intake, before any worker is paid for: nothing runs', async () => {
    const sb = makeSandbox();
    const marker = sb.path('policy-marker.txt');
    const denied = `node -e "require('fs').writeFileSync('${marker}', 'ran')"`;
    const run = await runIn(sb, writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }), writePacket(sb, {
      verification: { commands: ['node check.mjs', denied], expectations: 'exit 0' },
    }));
    const status = await expectStopped(sb, run, { code: 'policy_denied', next: 'retry' });
    expect(status.blocker.message).toContain(JSON.stringify(denied));
    expect(status.blocker.message).not.toContain('"node check.mjs"');
    expect(status.next_safe_action.command).toBe(`buran retry ${run.runId} --config ${sb.path('config.json')} --registry ${sb.registry}`);
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(join(sb.workspace, '.check-runs'))).toBe(false);
    expect(sb.calls('implementer')).toHaveLength(0);
    expect(status.tasks).toEqual([]);
    // Control: the denied command really would have created the marker.
    execSync(denied, { cwd: sb.workspace });
    expect(existsSync(marker)).toBe(true);
  });

  it('a verification command past verification.timeout_ms is verification_blocked', async () => {
    const { sb, run } = await scenario({ implementer: ['ok'], fixer: ['ok'], reviewer: ['pass'] }, {
      verification: { allowed_commands: ['node check.mjs'], timeout_ms: 400 },
    }, {}, (s) => writeFileSync(join(s.workspace, 'check-exit.txt'), '99'));
    await expectStopped(sb, run, { code: 'verification_blocked' });
    expect(readFileSync(join(sb.workspace, '.check-runs'), 'utf8')).toBe('x');
    const left = processesIn(sb.workspace);
    for (const pid of left) expect(await waitGone(pid), `verification process ${pid} still alive`).toBe(true);
    expect(sb.calls('fixer')).toHaveLength(0);
    expect(sb.calls('reviewer')).toHaveLength(0);
  });

  it('a verification command whose program is not on PATH is found by the preflight, before the implementer', async () => {
    const cmd = 'buran-no-such-program-xyz --check';
    const { sb, run } = await scenario({ implementer: ['ok'], fixer: ['ok'], reviewer: ['pass'] }, {
      verification: { allowed_commands: [cmd] },
    }, { verification: { commands: [cmd], expectations: 'exit 0' } });
    const status = await expectStopped(sb, run, { code: 'adapter_unavailable', next: 'retry' });
    expect(status.blocker.message).toContain('buran-no-such-program-xyz');
    expect(status.blocker.message).toContain('verification.commands.0');
    expect(sb.calls('implementer')).toHaveLength(0);
  });

  it('a verification command that exits 127 (a program it runs is not installed) is verification_blocked, not a FAIL for the fixer', async () => {
    const { sb, run } = await scenario({ implementer: ['ok'], fixer: ['ok'], reviewer: ['pass'] }, {
      verification: { allowed_commands: ['sh run-tests.sh'] },
    }, { verification: { commands: ['sh run-tests.sh'], expectations: 'exit 0' } }, (s) =>
      writeFileSync(join(s.workspace, 'run-tests.sh'), 'buran-no-such-test-runner-xyz --all\n'));
    const status = await expectStopped(sb, run, { code: 'verification_blocked', next: 'retry' });
    expect(status.blocker.message).toContain('127');
    expect(status.blocker.message).toContain('buran-no-such-test-runner-xyz');
    expect(status.blocker.message).toContain('workspace.setup');
    expect(sb.calls('fixer')).toHaveLength(0);
    expect(sb.calls('reviewer')).toHaveLength(0);
  });

  it('no implementer configured is found at intake: adapter_unavailable, next retry with the config, no worker ran', async () => {
    const { sb, run } = await scenario({ reviewer: ['pass'] });
    const status = await expectStopped(sb, run, { code: 'adapter_unavailable', next: 'retry' });
    expect(status.blocker.message).toMatch(/implementer/);
    expect(status.tasks).toEqual([]);
    expect(sb.calls('reviewer')).toHaveLength(0);
  });

  it('no reviewer configured is found at intake, before the implementer is paid for', async () => {
    const { sb, run } = await scenario({ implementer: ['ok'] });
    const status = await expectStopped(sb, run, { code: 'adapter_unavailable', next: 'retry' });
    expect(status.blocker.message).toMatch(/reviewer/);
    expect(status.verification).toBeNull();
    expect(sb.calls('implementer')).toHaveLength(0);
  });

  it('no fixer while the fix budget allows fixes is found at intake; with max_fix_attempts 0 the run needs none', async () => {
    const { sb, run } = await scenario({ implementer: ['ok'], reviewer: ['pass'] }, limits(0, 2));
    const status = await expectStopped(sb, run, { code: 'adapter_unavailable', next: 'retry' });
    expect(status.blocker.message).toContain('no fixer worker is configured');
    expect(status.blocker.message).toContain('limits.max_fix_attempts');
    expect(sb.calls('implementer')).toHaveLength(0);
    const fine = await scenario({ implementer: ['ok'], reviewer: ['pass'] }, limits(0, 0));
    expect(fine.run.code, fine.run.stderr).toBe(0);
  });

  it('a worker program that is not there, or a script path misspelled, is found at intake: no worker starts, no retry is spent', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] });
    const edited = JSON.parse(readFileSync(config, 'utf8'));
    edited.workers.implementer.command[1] = edited.workers.implementer.command[1].replace('worker.mjs', 'wroker.mjs');
    edited.workers.reviewer.command[0] = 'buran-no-such-agent-xyz';
    writeFileSync(config, JSON.stringify(edited));
    const run = await runIn(sb, config, writePacket(sb));
    const status = await expectStopped(sb, run, { code: 'adapter_unavailable', next: 'retry' });
    const messages = status.blockers.map((b: { message: string }) => b.message);
    expect(messages).toEqual([
      expect.stringMatching(/^workers\.implementer\.command: the script ".*wroker\.mjs" does not exist/),
      expect.stringMatching(/^workers\.reviewer\.command: program "buran-no-such-agent-xyz" was not found on PATH/),
    ]);
    expect(sb.calls('implementer')).toHaveLength(0);
    expect(sb.calls('reviewer')).toHaveLength(0);
  });
});
