import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentSandbox, flagOf, runAgents } from '../helpers/agents.ts';
import { buran, CLI, eventsOf, processGone, statusOf, until } from '../helpers/sandbox.ts';

// Each sandbox is removed when its test ends (makeSandbox), with any process still using it.
const setup = agentSandbox;
// Dead: gone, or a zombie nobody reaps (this machine's PID 1 does not reap orphans).
const dead = (pid: number) => {
  if (processGone(pid)) return true;
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').startsWith('Z');
  } catch {
    return true;
  }
};
const FIRST_SESSION = '00000000-0000-4000-8000-000000000001';
const FIRST_THREAD = '0199a213-81c0-7800-8aa1-000000000001';

describe('sessions: a fixer continues the implementer\'s agent session', () => {
  it('claude: the fixer runs `claude -p … --resume <implementer session>` with the findings as its prompt; status shows the sessions', async () => {
    const a = setup({ preset: 'claude', modes: { implementer: 'success', reviewer: 'review_fail,review_pass', fixer: 'success' } });
    const { result, status, events } = await runAgents(a);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const [implementer, , fixer] = a.argv();
    expect(flagOf(implementer!, '--resume')).toBeUndefined();
    expect(flagOf(fixer!, '--resume')).toBe(FIRST_SESSION);
    expect(fixer![1]).toContain('continuing your earlier session');
    expect(fixer![1]).toContain('count() is off by one');
    expect(fixer![1]).not.toContain('## Implementation instructions');
    const fix = status.tasks.find((t: any) => t.role === 'fixer');
    expect(fix).toMatchObject({ session_id: FIRST_SESSION, resumed_session: FIRST_SESSION, agent_outcome: 'success', retry: 0 });
    expect(events.find((e) => e.type === 'worker.started' && e.role === 'fixer')).toMatchObject({ resumed_session: FIRST_SESSION });
    const human = await buran(['status', 'agent', '--registry', a.sb.registry]);
    expect(human.stdout).toContain(`session ${FIRST_SESSION} (continued)`);
  });

  it('codex: the fixer runs `codex exec … resume <thread_id> PROMPT`', async () => {
    const a = setup({ preset: 'codex', modes: { implementer: 'success', reviewer: 'review_fail,review_pass', fixer: 'success' } });
    const { result } = await runAgents(a);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const fixer = a.argv()[2]!;
    expect(fixer.slice(0, 2)).toEqual(['exec', '--json']);
    expect(fixer.slice(-3, -1)).toEqual(['resume', FIRST_THREAD]);
  });

  it.each([
    ['claude', 'No conversation found with session ID'],
    ['codex', 'No saved session found'],
  ] as const)('%s: a session the agent cannot find ("%s") is started afresh without spending a retry', async (preset, words) => {
    const a = setup({
      preset, modes: { implementer: 'success', reviewer: 'review_fail,review_pass', fixer: 'success' },
      limits: { max_dispatch_retries: 0 }, env: { STANDIN_FORGET_SESSIONS: '1' },
    });
    const { result, status } = await runAgents(a);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const fixers = status.tasks.filter((t: any) => t.role === 'fixer');
    expect(fixers.map((t: any) => [t.retry, t.agent_outcome, t.resumed_session ?? null])).toEqual([
      [0, 'session_missing', preset === 'claude' ? FIRST_SESSION : FIRST_THREAD], [0, 'success', null],
    ]);
    expect(readFileSync(join(a.sb.registry, 'runs', 'agent', 'tasks', fixers[0].task_id, 'output.log'), 'utf8')).toContain(words);
    const [, , missed, fresh] = a.argv();
    expect(missed!.join(' ')).toMatch(/resume/);
    expect(fresh!.join(' ')).not.toMatch(/--resume|\bresume\b/);
  });

  it('"continue_session": false starts every fixer afresh', async () => {
    const a = setup({ preset: 'claude', modes: { implementer: 'success', reviewer: 'review_fail,review_pass', fixer: 'success' }, worker: { continue_session: false } });
    const { result } = await runAgents(a);
    expect(result.code, result.stderr).toBe(0);
    expect(flagOf(a.argv()[2]!, '--resume')).toBeUndefined();
  });
});

describe('done means done', () => {
  it('an agent that prints its result and lingers (a grandchild holding stdout) is stopped after a short grace; the result stands', async () => {
    const a = setup({ preset: 'claude', modes: { implementer: 'linger', reviewer: 'review_pass' }, worker: { timeout_ms: 120_000 } });
    a.env.STANDIN_PIDS = a.sb.path('linger-pids.json');
    const began = Date.now();
    const { result, status, events } = await runAgents(a);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(Date.now() - began).toBeLessThan(60_000); // far from timeout_ms
    expect(status.tasks[0]).toMatchObject({ role: 'implementer', status: 'completed', agent_outcome: 'success' });
    expect(events.find((e) => e.type === 'worker.lingered')).toMatchObject({ task_id: 't1-implementer' });
    const pids = JSON.parse(readFileSync(a.env.STANDIN_PIDS, 'utf8'));
    expect(dead(pids.leader)).toBe(true);
    expect(dead(pids.grandchild)).toBe(true);
  });
});

describe('a quota wait is an absolute time in the run: it survives a SIGKILL of the driver', () => {
  it('the driver is killed while waiting; status shows the wait; `buran resume` waits only for what remains and finishes', async () => {
    const a = setup({ preset: 'claude', modes: { implementer: 'rate_limited,success', reviewer: 'review_pass' }, env: { STANDIN_RESET_IN_S: '4' } });
    const driver = spawn(process.execPath, [CLI, 'run', a.packet, '--repo', a.repo.repo, '--config', a.config, '--registry', a.sb.registry, '--run-id', 'agent'], {
      env: { ...process.env, ...a.env, BURAN_KILL_GRACE_MS: '300' }, stdio: 'ignore',
    });
    // The journal is written before the snapshot, and status reads the snapshot: wait for the pause there.
    const snapshot = join(a.sb.registry, 'runs', 'agent', 'snapshot.json');
    const paused = () => {
      try {
        return JSON.parse(readFileSync(snapshot, 'utf8')).snapshot.context.agent_pause != null;
      } catch {
        return false; // not written yet, or being replaced
      }
    };
    await until(() => existsSync(snapshot) && paused(), 30_000);
    driver.kill('SIGKILL');
    await new Promise((r) => driver.once('exit', r));

    const held = await statusOf(a.sb, 'agent');
    expect(held.state).toBe('running');
    expect(held.terminal).toBe(false);
    expect(held.agent.pause).toMatchObject({ reason: 'quota' });
    const resetAt = Date.parse(held.agent.pause.until);
    expect(held.next_safe_action.kind).toBe('resume');

    const resumed = await buran(['resume', 'agent', '--registry', a.sb.registry], { env: a.env });
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    const events = await eventsOf(a.sb, 'agent');
    const second = events.filter((e) => e.type === 'worker.started' && e.role === 'implementer')[1]!;
    expect(Date.parse(second.at)).toBeGreaterThanOrEqual(resetAt);
    const status = await statusOf(a.sb, 'agent');
    expect(status.tasks.filter((t: any) => t.role === 'implementer').map((t: any) => [t.retry, t.agent_outcome])).toEqual([[0, 'quota'], [0, 'success']]);
  });
});

describe('a batch: a quota stop holds back that agent\'s new dispatches until the reset', () => {
  it('the second run does not start the agent while the first run\'s quota is out', async () => {
    const a = setup({ preset: 'claude', modes: { implementer: 'rate_limited' }, limits: { max_quota_wait_ms: 60_000 }, env: { STANDIN_RESET_IN_S: '3600' } });
    const packet = JSON.parse(readFileSync(a.packet, 'utf8'));
    const list = a.sb.path('list.json');
    writeFileSync(list, JSON.stringify({ packets: [{ ...packet, task_id: 'one' }, { ...packet, task_id: 'two', scm_target: { ...packet.scm_target, intended_branch: 'buran/two' } }] }));
    const batch = await buran(['batch', list, '--repo', a.repo.repo, '--config', a.config, '--registry', a.sb.registry, '--batch-id', 'b1', '--concurrency', '1'], { env: a.env });
    expect(batch.code, batch.stdout + batch.stderr).toBe(3);
    expect(a.argv()).toHaveLength(1); // only the first run's agent ever started
    const second = await statusOf(a.sb, 'b1-0002-two');
    expect(second.blocker).toMatchObject({ code: 'quota_exhausted' });
    expect(second.blocker.message).toContain('held back');
    const first = await statusOf(a.sb, 'b1-0001-one');
    expect(second.blocker.not_before).toBe(first.blocker.not_before);
    const events = await eventsOf(a.sb, 'b1-0002-two');
    expect(events.find((e) => e.type === 'worker.held')).toMatchObject({ by: 't1-implementer' });
  });
});

describe('batch --max-cost-usd', () => {
  it('starts no new run once the batch\'s agents have reported the cap; the summary shows each run\'s cost and the total', async () => {
    const a = setup({ preset: 'claude', modes: { implementer: 'success', reviewer: 'review_pass' } });
    const packet = JSON.parse(readFileSync(a.packet, 'utf8'));
    const list = a.sb.path('list.json');
    const packets = ['one', 'two', 'three'].map((task_id) => ({ ...packet, task_id, scm_target: { ...packet.scm_target, intended_branch: `buran/${task_id}` } }));
    writeFileSync(list, JSON.stringify({ packets }));
    const batch = await buran(['batch', list, '--repo', a.repo.repo, '--config', a.config, '--registry', a.sb.registry, '--batch-id', 'b2', '--concurrency', '1', '--max-cost-usd', '0.03'], { env: a.env });
    // Each run reports $0.0246: the second one crosses $0.03, the third never starts.
    expect(batch.code, batch.stdout + batch.stderr).toBe(6);
    expect(batch.stdout).toMatch(/b2-0001-one\s+ready_for_manual_review\s+\$0\.0246/);
    expect(batch.stdout).toMatch(/b2-0003-three\s+queued\s+\$0\.0000/);
    expect(batch.stdout).toContain('3 run(s): 2 ready, 0 blocked, 0 failed, 1 unfinished; cost $0.0492');
    expect(batch.stdout).toContain('batch budget spent: $0.0492 of --max-cost-usd 0.03: no new run was started');
    expect(a.argv()).toHaveLength(4);
    const bad = await buran(['batch', list, '--registry', a.sb.registry, '--max-cost-usd', 'lots']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--max-cost-usd lots: needs a positive amount in USD');
  });
});
