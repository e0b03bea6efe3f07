import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventsOf, makeSandbox, runIn, statusOf, writeConfig, writePacket, type Sandbox } from '../helpers/sandbox.ts';

/** Verification exit codes, in order (the last repeats): "1,0" fails once then passes. */
const checkExits = (sb: Sandbox, codes: string) => writeFileSync(join(sb.workspace, 'check-exit.txt'), codes);
const limits = (maxFix: number) => ({ limits: { max_fix_attempts: maxFix, max_dispatch_retries: 2 } });
const budget = (status: Record<string, any>, name: string) => status.budgets.find((b: any) => b.name === name);
const taskLine = (t: any) => [t.role, t.attempt, t.epoch, t.status, t.verdict ?? null];

describe('buran run: fix loop', () => {
  it('a failed verification enters the fix loop, the fixer gets the findings, the next epoch passes', async () => {
    const sb = makeSandbox();
    checkExits(sb, '1,0');
    const config = writeConfig(sb, { implementer: ['ok'], fixer: ['ok'], reviewer: ['pass'] });
    const result = await runIn(sb, config, writePacket(sb));
    expect(result.code, result.stderr).toBe(0);

    const status = await statusOf(sb, result.runId);
    expect(status).toMatchObject({ state: 'ready_for_manual_review', terminal: true, epoch: 2, blocker: null });
    expect(budget(status, 'fix_attempts')).toMatchObject({ used: 1, limit: 2 });

    const fixer = sb.calls('fixer');
    expect(fixer).toHaveLength(1);
    expect(fixer[0]).toMatchObject({ role: 'fixer', attempt: 1, epoch: 2 });
    expect(fixer[0]!.findings).toBeGreaterThan(0);
    expect(sb.calls('implementer')).toHaveLength(1);
    // Review runs only on the epoch whose verification passed.
    expect(sb.calls('reviewer').map((c) => c.epoch)).toEqual([2]);
    expect(status.tasks.map(taskLine)).toEqual([
      ['implementer', 1, 1, 'completed', null],
      ['fixer', 1, 2, 'completed', null],
      ['reviewer', 1, 2, 'completed', 'PASS'],
    ]);
  });

  it('a FAIL from internal review enters the fix loop and a new epoch re-runs both gates', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, { implementer: ['ok'], fixer: ['ok'], reviewer: ['fail', 'pass'] });
    const result = await runIn(sb, config, writePacket(sb));
    expect(result.code, result.stderr).toBe(0);

    const status = await statusOf(sb, result.runId);
    expect(status).toMatchObject({ state: 'ready_for_manual_review', epoch: 2, blocker: null });
    expect(status.tasks.map((t: any) => [t.role, t.verdict ?? null])).toEqual([
      ['implementer', null],
      ['reviewer', 'FAIL'],
      ['fixer', null],
      ['reviewer', 'PASS'],
    ]);
    expect(status.tasks.map((t: any) => t.epoch)).toEqual([1, 1, 2, 2]);
    expect(budget(status, 'fix_attempts')).toMatchObject({ used: 1 });
    // The fixer's task file carried the reviewer's findings.
    expect(sb.calls('fixer')).toHaveLength(1);
    expect(sb.calls('fixer')[0]!.findings).toBe(1);
    expect(sb.calls('reviewer').map((c) => c.epoch)).toEqual([1, 2]);
  });

  it('a gate that keeps failing exhausts the fix budget: blocked_needs_human, fix_budget_exhausted, exit 3', async () => {
    const sb = makeSandbox();
    checkExits(sb, '1');
    const config = writeConfig(sb, { implementer: ['ok'], fixer: ['ok'], reviewer: ['pass'] }, limits(2));
    const result = await runIn(sb, config, writePacket(sb));
    expect(result.code, result.stderr).toBe(3);

    const status = await statusOf(sb, result.runId);
    expect(status).toMatchObject({ state: 'blocked_needs_human', terminal: true, epoch: 3 });
    expect(status.blocker.code).toBe('fix_budget_exhausted');
    expect(status.next_safe_action.kind).toBe('manual_review');
    expect(budget(status, 'fix_attempts')).toMatchObject({ used: 2, limit: 2 });
    expect(sb.calls('fixer')).toHaveLength(2);
    expect(sb.calls('fixer').map((c) => c.attempt)).toEqual([1, 2]);
    expect(sb.calls('reviewer')).toHaveLength(0);
  });

  it('max_fix_attempts 0 means the first failure blocks without starting a fixer', async () => {
    const sb = makeSandbox();
    checkExits(sb, '1');
    const config = writeConfig(sb, { implementer: ['ok'], fixer: ['ok'], reviewer: ['pass'] }, limits(0));
    const result = await runIn(sb, config, writePacket(sb));
    expect(result.code, result.stderr).toBe(3);

    const status = await statusOf(sb, result.runId);
    expect(status).toMatchObject({ state: 'blocked_needs_human', epoch: 1 });
    expect(status.blocker.code).toBe('fix_budget_exhausted');
    expect(budget(status, 'fix_attempts')).toMatchObject({ used: 0, limit: 0 });
    expect(sb.calls('fixer')).toHaveLength(0);
    expect(status.tasks.map((t: any) => t.role)).toEqual(['implementer']);
  });

  it('a review FAIL with no budget left also ends fix_budget_exhausted', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, { implementer: ['ok'], fixer: ['ok'], reviewer: ['fail'] }, limits(1));
    const result = await runIn(sb, config, writePacket(sb));
    expect(result.code, result.stderr).toBe(3);
    const status = await statusOf(sb, result.runId);
    expect(status).toMatchObject({ state: 'blocked_needs_human', epoch: 2 });
    expect(status.blocker.code).toBe('fix_budget_exhausted');
    expect(sb.calls('fixer')).toHaveLength(1);
    expect(sb.calls('reviewer')).toHaveLength(2);
  });

  it("the packet's limits.max_fix_attempts lowers the config's budget", async () => {
    const sb = makeSandbox();
    checkExits(sb, '1');
    const config = writeConfig(sb, { implementer: ['ok'], fixer: ['ok'], reviewer: ['pass'] }, limits(3));
    const result = await runIn(sb, config, writePacket(sb, { limits: { max_fix_attempts: 1 } }));
    expect(result.code, result.stderr).toBe(3);

    const status = await statusOf(sb, result.runId);
    expect(status.blocker.code).toBe('fix_budget_exhausted');
    expect(budget(status, 'fix_attempts')).toMatchObject({ used: 1, limit: 1 });
    expect(sb.calls('fixer')).toHaveLength(1);
  });

  it('the packet cannot raise the budget past the config', async () => {
    const sb = makeSandbox();
    checkExits(sb, '1');
    const config = writeConfig(sb, { implementer: ['ok'], fixer: ['ok'], reviewer: ['pass'] }, limits(1));
    const result = await runIn(sb, config, writePacket(sb, { limits: { max_fix_attempts: 5 } }));
    expect(result.code, result.stderr).toBe(3);
    const status = await statusOf(sb, result.runId);
    expect(budget(status, 'fix_attempts')).toMatchObject({ used: 1, limit: 1 });
    expect(sb.calls('fixer')).toHaveLength(1);
  });

  it('keeps the epoch, attempt and task history of every fix round in status and the journal', async () => {
    const sb = makeSandbox();
    checkExits(sb, '1,1,0');
    const config = writeConfig(sb, { implementer: ['ok'], fixer: ['ok'], reviewer: ['pass'] }, limits(3));
    const result = await runIn(sb, config, writePacket(sb));
    expect(result.code, result.stderr).toBe(0);

    const status = await statusOf(sb, result.runId);
    expect(status).toMatchObject({ state: 'ready_for_manual_review', epoch: 3 });
    expect(budget(status, 'fix_attempts')).toMatchObject({ used: 2, limit: 3 });
    expect(status.tasks.map(taskLine)).toEqual([
      ['implementer', 1, 1, 'completed', null],
      ['fixer', 1, 2, 'completed', null],
      ['fixer', 2, 3, 'completed', null],
      ['reviewer', 1, 3, 'completed', 'PASS'],
    ]);
    const ids = status.tasks.map((t: any) => t.task_id);
    expect(new Set(ids).size).toBe(ids.length);
    // The worker saw the same attempt and epoch the registry recorded.
    expect(sb.calls('fixer').map((c) => [c.task_id, c.attempt, c.epoch])).toEqual(
      status.tasks.filter((t: any) => t.role === 'fixer').map((t: any) => [t.task_id, t.attempt, t.epoch]),
    );
    expect(sb.calls('fixer').every((c) => (c.findings as number) > 0)).toBe(true);

    const events = await eventsOf(sb, result.runId);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const intoVerification = events.filter((e) => e.type === 'run.transition' && String(e.to).split('.')[0] === 'verification');
    expect(intoVerification).toHaveLength(3);
    expect(events.filter((e) => e.type === 'run.transition' && String(e.to).split('.')[0] === 'fix_loop')).toHaveLength(2);
    for (const id of ids) {
      const transitions = events.filter((e) => e.type === 'task.transition' && e.task_id === id).map((e) => e.to);
      expect(transitions, `task.transition entries of ${id}`).toEqual(['dispatched', 'completed']);
    }
  });
});
