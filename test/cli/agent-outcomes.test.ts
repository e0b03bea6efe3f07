import { describe, expect, it } from 'vitest';
import { agentSandbox, flagOf, runAgents } from '../helpers/agents.ts';
import { buran, eventsOf, statusOf } from '../helpers/sandbox.ts';

// CONTRACT 4's agent outcome table, row by row, through the built CLI with stand-in agents that print
// the real stream shapes (keys in any order, noise lines, unknown types).

// Each sandbox is removed when its test ends (makeSandbox), with any process still using it.
const setup = agentSandbox;
const implementerTasks = (status: Record<string, any>) => status.tasks.filter((t: any) => t.role === 'implementer');

describe('success: the completion, with cost and turns recorded', () => {
  it('claude: a stream with noise, unknown types and `type` last ends ready; the cost is in the final line and status', async () => {
    const a = setup({ preset: 'claude', modes: { implementer: 'success', reviewer: 'review_pass' } });
    const { result, status } = await runAgents(a);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim().split('\n').at(-1)).toBe('cost: $0.0246 reported by the run\'s agents');
    expect(status.agent).toMatchObject({ cost_usd: 0.0246 });
    expect(status.tasks.map((t: any) => [t.role, t.agent_outcome, t.cost_usd, t.turns])).toEqual([
      ['implementer', 'success', 0.0123, 2], ['reviewer', 'success', 0.0123, 2],
    ]);
  });
});

describe('a transient API failure: dispatched again after a growing pause, no retry spent', () => {
  it.each([
    ['claude', 'overloaded,overloaded,success'],
    ['codex', 'disconnected,disconnected,success'],
  ] as const)('%s: two outages, then success; every dispatch is retry 0 and the pauses grow', async (preset, modes) => {
    const a = setup({ preset, modes: { implementer: modes, reviewer: 'review_pass' }, limits: { max_dispatch_retries: 0 } });
    const { result, status, events } = await runAgents(a);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(implementerTasks(status).map((t: any) => [t.retry, t.agent_outcome])).toEqual([[0, 'transient'], [0, 'transient'], [0, 'success']]);
    const pauses = events.filter((e) => e.type === 'agent.pause');
    expect(pauses).toHaveLength(2);
    const finished = events.filter((e) => e.type === 'worker.finished' && e.agent_outcome === 'transient');
    // agent_backoff_ms 200, then doubled, from the moment each stream was read.
    expect(pauses.map((p, i) => Date.parse(p.until) - Date.parse(finished[i]!.observed_at))).toEqual([200, 400]);
    const starts = events.filter((e) => e.type === 'worker.started' && e.role === 'implementer');
    expect(Date.parse(starts[2]!.at)).toBeGreaterThanOrEqual(Date.parse(pauses[1]!.until));
  });
});

describe('a quota with a reset time: waits until the reset, then dispatches again without spending a retry', () => {
  it.each([
    ['claude', 'rate_limited,success'],
    ['codex', 'usage_limit,success'],
  ] as const)('%s: the next dispatch starts after the reset the stream named', async (preset, modes) => {
    const a = setup({ preset, modes: { implementer: modes, reviewer: 'review_pass' }, limits: { max_dispatch_retries: 0 }, env: { STANDIN_RESET_IN_S: '2' } });
    const { result, status, events } = await runAgents(a);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(implementerTasks(status).map((t: any) => [t.retry, t.agent_outcome])).toEqual([[0, 'quota'], [0, 'success']]);
    const quota = events.find((e) => e.type === 'worker.finished' && e.agent_outcome === 'quota')!;
    const next = events.filter((e) => e.type === 'worker.started' && e.role === 'implementer')[1]!;
    expect(Date.parse(next.at)).toBeGreaterThanOrEqual(Date.parse(quota.reset_at) - 1000); // resetsAt is whole seconds
    expect(events.find((e) => e.type === 'agent.pause')!.until).toBe(quota.reset_at);
  });

  it('a reset further away than max_quota_wait_ms ends quota_exhausted, next resume not before the reset', async () => {
    const a = setup({ preset: 'claude', modes: { implementer: 'rate_limited' }, limits: { max_quota_wait_ms: 60_000 }, env: { STANDIN_RESET_IN_S: '36000' } });
    const { result, status } = await runAgents(a);
    expect(result.code).toBe(3);
    expect(status.state).toBe('blocked_needs_human');
    expect(status.blocker).toMatchObject({ code: 'quota_exhausted', task_id: 't1-implementer' });
    const resetsIn = Date.parse(status.blocker.not_before) - Date.now();
    expect(resetsIn).toBeGreaterThan(35_000_000);
    expect(status.next_safe_action).toMatchObject({ kind: 'resume', command: `buran resume agent --registry ${a.sb.registry}`, not_before: status.blocker.not_before });
    expect(result.stdout).toContain(`next: resume: buran resume agent --registry ${a.sb.registry} not before ${status.blocker.not_before}`);
    expect(status.tasks).toHaveLength(1);
  });

  it('`buran resume` of that run goes back to its stage, waits for the reset (no retry spent) and finishes', async () => {
    const a = setup({ preset: 'claude', modes: { implementer: 'rate_limited,success', reviewer: 'review_pass' }, limits: { max_quota_wait_ms: 500 }, env: { STANDIN_RESET_IN_S: '3' } });
    const { result, status } = await runAgents(a);
    expect(result.code).toBe(3);
    expect(status.blocker.code).toBe('quota_exhausted');
    const resumed = await buran(['resume', 'agent', '--registry', a.sb.registry], { env: a.env });
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    const after = await statusOf(a.sb, 'agent');
    expect(after).toMatchObject({ state: 'ready_for_manual_review', blocker: null });
    expect(after.blockers.map((b: any) => b.code)).toEqual(['quota_exhausted']);
    expect(implementerTasks(after).map((t: any) => [t.retry, t.agent_outcome])).toEqual([[0, 'quota'], [0, 'success']]);
    const events = await eventsOf(a.sb, 'agent');
    expect(events.find((e) => e.event === 'run.resume')).toMatchObject({ type: 'run.transition', from: 'blocked_needs_human', to: 'running.agent_pause' });
    const second = events.filter((e) => e.type === 'worker.started' && e.role === 'implementer')[1]!;
    expect(Date.parse(second.at)).toBeGreaterThanOrEqual(Date.parse(status.blocker.not_before) - 1000); // resetsAt is whole seconds
    // Ended for good: a second resume changes nothing.
    expect((await buran(['resume', 'agent', '--registry', a.sb.registry], { env: a.env })).code).toBe(0);
  });

  it('codex: "try again at 5:26 PM" is read as the next such clock time', async () => {
    const a = setup({ preset: 'codex', modes: { implementer: 'usage_limit_text' }, limits: { max_quota_wait_ms: 1000 }, env: { STANDIN_RESET_IN_S: '7200' } });
    const { status } = await runAgents(a);
    expect(status.blocker.code).toBe('quota_exhausted');
    const wait = Date.parse(status.blocker.not_before) - Date.now();
    // Two hours out, to the minute the text names.
    expect(wait).toBeGreaterThan(7200_000 - 120_000);
    expect(wait).toBeLessThan(7200_000 + 60_000);
  });
});

describe('refused credentials: never retried, agent_auth_failed, next fix_config', () => {
  it.each(['claude', 'codex'] as const)('%s', async (preset) => {
    const a = setup({ preset, modes: { implementer: 'auth' }, limits: { max_dispatch_retries: 2 } });
    const { result, status } = await runAgents(a);
    expect(result.code).toBe(3);
    expect(status.blocker).toMatchObject({ code: 'agent_auth_failed', task_id: 't1-implementer' });
    expect(status.blocker.message).toMatch(preset === 'claude' ? /Invalid API key/ : /401 Unauthorized/);
    expect(status.next_safe_action.kind).toBe('fix_config');
    expect(a.argv()).toHaveLength(1);
  });
});

describe('the agent\'s own cap: not retried with the same caps, agent_limit_reached', () => {
  it.each(['error_max_turns', 'error_max_budget_usd'])('claude %s', async (mode) => {
    const a = setup({ preset: 'claude', modes: { implementer: mode }, limits: { max_dispatch_retries: 2 }, worker: { max_turns: 7, max_budget_usd: 2 } });
    const { result, status } = await runAgents(a);
    expect(result.code).toBe(3);
    expect(status.state).toBe('blocked_needs_human');
    expect(status.blocker).toMatchObject({ code: 'agent_limit_reached', task_id: 't1-implementer' });
    expect(a.argv()).toHaveLength(1);
    // What it spent still counts.
    expect(status.agent.cost_usd).toBe(0.0123);
  });
});

describe('an error that is none of those: the dispatch failed (retried under max_dispatch_retries)', () => {
  it('codex turn.failed with exit 0, then success', async () => {
    const a = setup({ preset: 'codex', modes: { implementer: 'turn_failed,success', reviewer: 'review_pass' } });
    const { result, status } = await runAgents(a);
    expect(result.code, result.stderr).toBe(0);
    expect(implementerTasks(status).map((t: any) => [t.retry, t.code, t.agent_outcome])).toEqual([[0, 'worker_failed', 'failed'], [1, null, 'success']]);
  });
});

describe('limits.max_cost_usd: checked before each dispatch; a preset agent gets what remains as its own cap', () => {
  it('claude: the reviewer is capped at the remainder, the fixer is never started: budget_exhausted', async () => {
    const a = setup({
      preset: 'claude', modes: { implementer: 'success', reviewer: 'review_fail', fixer: 'success' },
      limits: { max_cost_usd: 0.02 }, worker: { max_budget_usd: 2 },
    });
    const { result, status } = await runAgents(a);
    expect(result.code).toBe(3);
    expect(status.blocker).toMatchObject({ code: 'budget_exhausted' });
    expect(status.blocker.message).toContain('$0.0246 of limits.max_cost_usd $0.02');
    const [implementer, reviewer, ...rest] = a.argv();
    expect(flagOf(implementer!, '--max-budget-usd')).toBe('0.02');
    expect(flagOf(reviewer!, '--max-budget-usd')).toBe('0.0077');
    expect(rest).toEqual([]);
    expect(status.budgets).toContainEqual({ name: 'cost_usd', used: 0.0246, limit: 0.02 });
    expect(status.next_safe_action.kind).toBe('fix_config');
    expect(result.stdout.trim().split('\n').at(-1)).toBe('cost: $0.0246 reported by the run\'s agents');
  });
});
