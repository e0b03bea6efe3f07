import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buran, makeSandbox, runAsWritten, runIn, statusOf, writeConfig, writePacket, type Sandbox, type WorkerPlan } from '../helpers/sandbox.ts';

// CONTRACT 5: every blocked run carries one next safe action that works when run as written, and a
// blocker's text never contradicts it. One scenario per blocker code a run can end with here
// (secret_in_change, workspace_setup_failed and the preflight's lock_conflict: see their own tests).

interface Case {
  code: string;
  plan: WorkerPlan;
  overrides?: Record<string, unknown>;
  packet?: Record<string, unknown>;
  setup?: (sb: Sandbox) => void;
}

const CASES: Case[] = [
  { code: 'plan_insufficient', plan: { implementer: ['ok'], reviewer: ['pass'] }, packet: { approved: false } },
  { code: 'adapter_unavailable', plan: { implementer: ['ok'] } },
  { code: 'policy_denied', plan: { implementer: ['ok'], reviewer: ['pass'] }, overrides: { verification: { allowed_commands: [] } } },
  {
    code: 'lock_conflict', plan: { implementer: ['ok'], reviewer: ['pass'] }, overrides: { lease: { wait_ms: 0 } },
    // A claim on the workspace by a run that has not expired (its records are not here: it counts as live).
    setup: (sb) => {
      mkdirSync(join(sb.registry, 'leases'), { recursive: true });
      writeFileSync(join(sb.registry, 'leases', 'table.json'), JSON.stringify({ leases: [{
        resource: `workspace:${sb.workspace}`, mode: 'exclusive', run_id: 'elsewhere', acquired_at: new Date().toISOString(), expires_at: new Date(Date.now() + 3_600_000).toISOString(),
      }] }));
    },
  },
  {
    code: 'verification_blocked', plan: { implementer: ['ok'], reviewer: ['pass'] }, overrides: { verification: { allowed_commands: ['sh t.sh'] } },
    packet: { verification: { commands: ['sh t.sh'], expectations: 'pass' } }, setup: (sb) => writeFileSync(join(sb.workspace, 't.sh'), 'no-such-runner-xyz\n'),
  },
  { code: 'worker_blocked', plan: { implementer: ['blocked'], reviewer: ['pass'] } },
  { code: 'review_blocked', plan: { implementer: ['ok'], reviewer: ['review-blocked'] } },
  { code: 'completion_conflict', plan: { implementer: ['conflict'], reviewer: ['pass'] } },
  { code: 'retry_exhausted', plan: { implementer: ['missing'], reviewer: ['pass'] }, overrides: { limits: { max_fix_attempts: 0, max_dispatch_retries: 0 } } },
  {
    code: 'fix_budget_exhausted', plan: { implementer: ['ok'], reviewer: ['pass'] }, overrides: { limits: { max_fix_attempts: 0, max_dispatch_retries: 0 } },
    setup: (sb) => writeFileSync(join(sb.workspace, 'check-exit.txt'), '1'),
  },
];

describe('next safe actions work as written and agree with their blocker', () => {
  for (const c of CASES) {
    it(c.code, async () => {
      const sb = makeSandbox();
      c.setup?.(sb);
      const run = await runIn(sb, writeConfig(sb, c.plan, c.overrides), writePacket(sb, c.packet));
      expect(run.code, run.stderr).toBeGreaterThanOrEqual(3);
      const status = await statusOf(sb, run.runId);
      expect(status.blocker.code).toBe(c.code);
      const next = status.next_safe_action;
      expect(next.kind).not.toBe('resume');
      // The texts never point elsewhere: a finished run is not resumed, and a message names no other command.
      for (const b of status.blockers) expect(b.message, b.code).not.toMatch(/\bresume\b|buran (run|retry|clean)/);
      expect(run.stdout).toContain(`next: ${next.kind}`);
      if (next.command === undefined) {
        expect(['manual_review', 'none', 'run']).toContain(next.kind);
        return;
      }
      const advised = await runAsWritten(sb, next.command);
      // Accepted: not a usage error (2), not a bug (1), not a registry refusal (5).
      expect([0, 3, 4], `${next.command}\n${advised.stdout}\n${advised.stderr}`).toContain(advised.code);
    });
  }

  it('cancelled: nothing to do', async () => {
    const sb = makeSandbox();
    const run = await runIn(sb, writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }), writePacket(sb), ['--until', 'running']);
    expect(run.code).toBe(6);
    expect((await buran(['cancel', run.runId, '--registry', sb.registry])).code).toBe(0);
    expect((await statusOf(sb, run.runId)).next_safe_action).toEqual({ kind: 'none', reason: 'the run was cancelled on purpose' });
  });
});
