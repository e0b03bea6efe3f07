import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { eventsOf, makeSandbox, runIn, statusOf, writeConfig, writePacket } from '../helpers/sandbox.ts';

describe('buran run: happy path', () => {
  it('drives an approved packet to ready_for_manual_review with real worker processes', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, { implementer: ['ok'], fixer: ['ok'], reviewer: ['pass'] });
    const result = await runIn(sb, config, writePacket(sb));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/state: ready_for_manual_review/);

    const status = await statusOf(sb, result.runId);
    expect(status).toMatchObject({ run_id: result.runId, state: 'ready_for_manual_review', terminal: true, epoch: 1, blocker: null, current_task: null });
    expect(status.next_safe_action.kind).toBe('manual_review');
    expect(status.tasks.map((t: any) => [t.role, t.status, t.epoch, t.attempt])).toEqual([
      ['implementer', 'completed', 1, 1],
      ['reviewer', 'completed', 1, 1],
    ]);
    expect(existsSync(status.handoff.summary_path)).toBe(true);
    expect(sb.calls('implementer')).toHaveLength(1);
    expect(sb.calls('fixer')).toHaveLength(0);

    const events = await eventsOf(sb, result.runId);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const path = events.filter((e) => e.type.startsWith('run.')).map((e) => String(e.to));
    expect(path).toEqual([
      'packet_received', 'queued', 'waiting_for_lock.acquiring', 'running.awaiting', 'verification.running_commands', 'internal_review.awaiting',
      'handoff_ready.handing_off', 'handoff_ready.retiring_workspace', 'ready_for_manual_review',
    ]);
  });

  it('passes only the allowlisted environment plus the BURAN_ variables to workers', async () => {
    const sb = makeSandbox();
    const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] });
    const result = await runIn(sb, config, writePacket(sb), [], { UNRELATED_VAR: 'x', BURAN_TEST_SECRET_TOKEN: 'hunter2-secret-value' });
    expect(result.code).toBe(0);
    const keys = sb.calls('implementer')[0]!.env_keys as string[];
    expect(keys).toEqual(expect.arrayContaining(['BURAN_RUN_ID', 'BURAN_TASK_ID', 'BURAN_TASK_ROLE', 'BURAN_ATTEMPT', 'BURAN_EPOCH', 'BURAN_TASK_FILE', 'BURAN_COMPLETION_FILE', 'PATH']));
    expect(keys).not.toContain('UNRELATED_VAR');
    expect(keys).not.toContain('BURAN_TEST_SECRET_TOKEN');
  });
});
