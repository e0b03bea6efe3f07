import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buran, eventsOf, makeSandbox, ROOT, statusOf, writePacket, type Sandbox } from '../helpers/sandbox.ts';
import { makeRepo } from '../helpers/git-repo.ts';

// Claude Code and Codex cannot run here: stand-ins print their documented stream shapes.
const STANDIN = (name: 'claude' | 'codex') => join(ROOT, 'test', 'fixtures', 'agents', name);

beforeAll(() => {
  chmodSync(STANDIN('claude'), 0o755);
  chmodSync(STANDIN('codex'), 0o755);
});

const PASSED = ['STANDIN_MODE_IMPLEMENTER', 'STANDIN_MODE_FIXER', 'STANDIN_MODE_REVIEWER', 'STANDIN_ARGS_LOG'];

function presetConfig(sb: Sandbox, preset: 'claude' | 'codex', retries = 1): string {
  const worker = { preset, program: STANDIN(preset), env: PASSED, ...(preset === 'claude' ? { max_turns: 7, max_budget_usd: 2 } : { model: 'gpt-standin' }) };
  const path = sb.path(`${preset}.config.json`);
  writeFileSync(path, JSON.stringify({
    workers: { implementer: worker, fixer: worker, reviewer: worker },
    verification: { allowed_commands: ['node check.mjs'] },
    limits: { max_fix_attempts: 1, max_dispatch_retries: retries },
  }));
  return path;
}

async function runPreset(preset: 'claude' | 'codex', modes: Record<string, string>, retries = 1) {
  const sb = makeSandbox();
  const r = makeRepo(sb);
  const env: Record<string, string> = { ...r.env, STANDIN_ARGS_LOG: sb.path('args.log') };
  for (const [role, mode] of Object.entries(modes)) env[`STANDIN_MODE_${role.toUpperCase()}`] = mode;
  const result = await buran(['run', writePacket(sb), '--repo', r.repo, '--config', presetConfig(sb, preset, retries), '--registry', sb.registry, '--run-id', 'agent'], { env });
  const argv = () => readFileSync(sb.path('args.log'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as string[]);
  return { sb, result, status: await statusOf(sb, 'agent'), events: await eventsOf(sb, 'agent'), argv };
}

const completionOf = (sb: Sandbox, taskId: string) =>
  JSON.parse(readFileSync(join(sb.registry, 'runs', 'agent', 'tasks', taskId, 'completion.json'), 'utf8'));

describe('preset "claude" (stand-in executable)', () => {
  it('runs headless with the documented flags, reads the stream into completions, and reports cost and turns', async () => {
    const { sb, result, status, argv } = await runPreset('claude', { implementer: 'success', reviewer: 'review_pass' });
    expect(result.code, result.stderr).toBe(0);
    const [implementer, reviewer] = argv();
    expect(implementer!.slice(0, 1)).toEqual(['-p']);
    expect(implementer).toEqual(expect.arrayContaining(['--output-format', 'stream-json', '--verbose', '--max-turns', '7', '--max-budget-usd', '2']));
    expect(implementer![1]).toContain('Make the widget count right');
    expect(reviewer![1]).toContain('"verdict"');

    expect(completionOf(sb, 't1-implementer')).toMatchObject({ task_id: 't1-implementer', status: 'completed', artifacts: ['agent-change.txt'] });
    expect(status.tasks.map((t: any) => [t.role, t.status, t.verdict, t.cost_usd, t.turns])).toEqual([
      ['implementer', 'completed', null, 0.0123, 2],
      ['reviewer', 'completed', 'PASS', 0.0123, 2],
    ]);
    expect(status.usage).toEqual({ cost_usd: 0.0246, turns: 4 });
    const human = await buran(['status', 'agent', '--registry', sb.registry]);
    expect(human.stdout).toContain('usage:      $0.0246, 4 turn(s)');
  });

  it('trusts the stream over the exit code: a success result with exit 1 is accepted', async () => {
    const { result, status } = await runPreset('claude', { implementer: 'success_exit1', reviewer: 'review_pass' });
    expect(result.code, result.stderr).toBe(0);
    expect(status.tasks[0]).toMatchObject({ status: 'completed', code: null });
  });

  it('error_max_turns is the agent\'s own cap: not retried with the same caps, agent_limit_reached, the agent error journalled', async () => {
    const { result, status, events } = await runPreset('claude', { implementer: 'error_max_turns' });
    expect(result.code).toBe(3);
    expect(status.state).toBe('blocked_needs_human');
    expect(status.blocker).toMatchObject({ code: 'agent_limit_reached', task_id: 't1-implementer' });
    expect(status.tasks.map((t: any) => t.code)).toEqual(['worker_failed']);
    expect(events.filter((e) => e.type === 'worker.finished').map((e) => [e.agent_error, e.agent_outcome])).toEqual([['error_max_turns', 'own_cap']]);
  });

  it('error_during_execution that is not an API failure is a failed implementation: retried, then failed_execution', async () => {
    const { result, status } = await runPreset('claude', { implementer: 'error_during_execution' });
    expect(result.code).toBe(4);
    expect(status.blocker).toMatchObject({ code: 'retry_exhausted', cause: 'worker_failed' });
    expect(status.tasks.map((t: any) => t.agent_outcome)).toEqual(['failed', 'failed']);
  });

  it('a reviewer that gives no verdict line is completion_invalid', async () => {
    const { result, status } = await runPreset('claude', { implementer: 'success', reviewer: 'review_no_verdict' }, 0);
    expect(result.code).toBe(3);
    expect(status.blocker).toMatchObject({ code: 'retry_exhausted', cause: 'completion_invalid' });
  });

  it('an agent that dies before its result (exit 1, no result message) is worker_failed, and no completion is invented', async () => {
    const { sb, result, status } = await runPreset('claude', { implementer: 'crash' }, 0);
    expect(result.code).toBe(4);
    expect(status.blocker).toMatchObject({ code: 'retry_exhausted', cause: 'worker_failed' });
    expect(() => completionOf(sb, 't1-implementer')).toThrow(/ENOENT/);
  });
});

describe('preset "codex" (stand-in executable)', () => {
  it('runs `codex exec --json`, takes files changed from file_change items, and reports turns', async () => {
    const { sb, result, status, argv } = await runPreset('codex', { implementer: 'success', reviewer: 'review_pass' });
    expect(result.code, result.stderr).toBe(0);
    const [implementer] = argv();
    expect(implementer!.slice(0, 2)).toEqual(['exec', '--json']);
    expect(implementer).toEqual(expect.arrayContaining(['--model', 'gpt-standin', '--sandbox', 'workspace-write']));
    expect(completionOf(sb, 't1-implementer').artifacts).toContain('agent-change.txt');
    expect(status.tasks[0]).toMatchObject({ status: 'completed', cost_usd: null, turns: 1 });
    expect(status.tasks[1]).toMatchObject({ verdict: 'PASS' });
  });

  it('turn.failed is a failed implementation even though codex exited 0', async () => {
    const { result, status, events } = await runPreset('codex', { implementer: 'turn_failed' }, 0);
    expect(result.code).toBe(4);
    expect(status.blocker).toMatchObject({ code: 'retry_exhausted', cause: 'worker_failed' });
    expect(events.find((e) => e.type === 'worker.finished')).toMatchObject({ agent_error: 'turn.failed', agent_outcome: 'failed' });
  });
});
