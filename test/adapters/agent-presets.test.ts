import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  buildPrompt, completionFromStream, presetInvocation, PROMPT_MAX_BYTES,
  type PresetName, type PresetOptions, type PresetTask,
} from '../../adapters/agent-presets/index.ts';
import { parseCompletion } from '../../schemas/completion.ts';
import { readPacket } from '../../schemas/packet.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const AGENTS = resolve(HERE, '../fixtures/agents');
const plan = readPacket(JSON.parse(readFileSync(resolve(HERE, '../fixtures/packet.json'), 'utf8'))).plan;

function task(role: PresetTask['role'], findings: PresetTask['findings'] = []): PresetTask {
  return { task_id: `t-${role}-1`, role, attempt: 1, epoch: 1, plan, findings, taskFile: '/runs/r1/tasks/t-1/task.json' };
}

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'buran-presets-')); });
afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

/** Spawns the stand-in as the runner would (no shell, stdin ignored, stdout+stderr into one log). */
async function run(preset: PresetName, mode: string, t: PresetTask, options: PresetOptions = {}) {
  const { file, args } = presetInvocation(preset, { ...options, program: join(AGENTS, preset) }, t);
  const argsLog = join(dir, 'args.jsonl');
  const logPath = join(dir, 'output.log');
  const fd = openSync(logPath, 'w');
  const env = { PATH: process.env.PATH ?? '', STANDIN_MODE: mode, STANDIN_ARGS_LOG: argsLog };
  const exitCode = await new Promise<number | null>((done, fail) => {
    const child = spawn(file, args, { cwd: dir, env, stdio: ['ignore', fd, fd] });
    child.on('error', fail);
    child.on('close', (code) => done(code));
  });
  closeSync(fd);
  const output = readFileSync(logPath, 'utf8');
  const loggedArgs = JSON.parse(readFileSync(argsLog, 'utf8').trim().split('\n').at(-1)!) as string[];
  const read = completionFromStream(preset, output, { task_id: t.task_id, role: t.role }, ['src/count.js', 'src/count.js'], dir);
  if (read.completion !== null) {
    const parsed = parseCompletion(JSON.stringify(read.completion));
    expect(parsed.kind, JSON.stringify(parsed)).toBe('present');
  }
  return { ...read, exitCode, output, args, loggedArgs };
}

describe('claude preset', () => {
  it('builds the documented headless invocation', async () => {
    const r = await run('claude', 'success', task('implementer'), { model: 'sonnet', max_turns: 7, max_budget_usd: 1.5, extra_args: ['--add-dir', '/x'] });
    expect(r.loggedArgs).toEqual(r.args);
    expect(r.args.slice(0, 5)).toEqual(['-p', buildPrompt(task('implementer')), '--output-format', 'stream-json', '--verbose']);
    const flag = (name: string) => r.args[r.args.indexOf(name) + 1];
    expect(flag('--max-turns')).toBe('7');
    expect(flag('--model')).toBe('sonnet');
    expect(flag('--max-budget-usd')).toBe('1.5');
    expect(flag('--permission-mode')).toBe('acceptEdits');
    expect(r.args.slice(-2)).toEqual(['--add-dir', '/x']);
    const plain = presetInvocation('claude', {}, task('reviewer'));
    expect(plain.file).toBe('claude');
    expect(plain.args).not.toContain('--max-turns');
    expect(plain.args).not.toContain('--model');
    expect(plain.args).not.toContain('--max-budget-usd');
    expect(plain.args[plain.args.indexOf('--permission-mode') + 1]).toBe('default');
  });

  it('maps a success result to a completed completion with the changed files', async () => {
    const r = await run('claude', 'success', task('implementer'));
    expect(readFileSync(join(dir, 'agent-change.txt'), 'utf8')).toContain('claude');
    expect(r.output).toContain('a stray stderr line');
    expect(r.completion).toEqual({
      task_id: 't-implementer-1', status: 'completed', summary: 'Fixed count() in agent-change.txt.', artifacts: ['src/count.js'], findings: [],
    });
    expect(r.usage).toEqual({ cost_usd: 0.0123, turns: 2 });
    expect(r.error_kind).toBeNull();
  });

  it('trusts the result subtype over the exit code', async () => {
    const r = await run('claude', 'success_exit1', task('fixer'));
    expect(r.exitCode).toBe(1);
    expect(r.completion?.status).toBe('completed');
    const turns = await run('claude', 'error_max_turns', task('implementer'), { max_turns: 4 });
    expect(turns.completion?.status).toBe('failed');
    expect(turns.completion?.summary).toContain('error_max_turns');
    expect(turns.error_kind).toBe('error_max_turns');
    expect(turns.usage.turns).toBe(4);
  });

  it('maps is_error to failed', async () => {
    const r = await run('claude', 'error_during_execution', task('implementer'));
    expect(r.completion?.status).toBe('failed');
    expect(r.completion?.summary).toContain('Tool execution failed: EACCES');
    expect(r.error_kind).toBe('error_during_execution');
  });

  it('maps a blocked line to status blocked', async () => {
    const r = await run('claude', 'blocked', task('implementer'));
    expect(r.completion?.status).toBe('blocked');
    expect(r.completion?.summary).toBe('needs a production secret');
  });

  it('reads the reviewer verdict and findings', async () => {
    const pass = await run('claude', 'review_pass', task('reviewer'));
    expect(pass.completion).toMatchObject({ status: 'completed', verdict: 'PASS', findings: [], summary: 'The change is minimal and correct.' });
    const fail = await run('claude', 'review_fail', task('reviewer'));
    expect(fail.completion?.verdict).toBe('FAIL');
    expect(fail.completion?.findings).toEqual([
      { severity: 'error', message: 'count() is off by one', path: 'src/count.js' },
      { severity: 'error', message: 'no test for the empty list' },
    ]);
  });

  it('returns a reviewer completion without verdict when there is no verdict line', async () => {
    const r = await run('claude', 'review_no_verdict', task('reviewer'));
    expect(r.completion?.status).toBe('completed');
    expect(r.completion).not.toHaveProperty('verdict');
    expect(r.error_kind).toBe('no_verdict');
  });

  it('returns no completion when the stream has no result', async () => {
    const r = await run('claude', 'crash', task('implementer'));
    expect(r.exitCode).toBe(1);
    expect(r.completion).toBeNull();
    expect(r.usage).toEqual({ cost_usd: null, turns: null });
  });
});

describe('codex preset', () => {
  it('builds the documented headless invocation, prompt last', async () => {
    const r = await run('codex', 'success', task('implementer'), { model: 'gpt-5-codex', max_turns: 3, extra_args: ['--skip-git-repo-check'] });
    expect(r.loggedArgs).toEqual(r.args);
    expect(r.args).toEqual(['exec', '--json', '--model', 'gpt-5-codex', '--sandbox', 'workspace-write', '--skip-git-repo-check', buildPrompt(task('implementer'))]);
    const review = presetInvocation('codex', {}, task('reviewer'));
    expect(review.file).toBe('codex');
    expect(review.args.slice(0, 4)).toEqual(['exec', '--json', '--sandbox', 'read-only']);
  });

  it('maps turn.completed to completed, last agent message, union of changed files', async () => {
    const r = await run('codex', 'success', task('implementer'));
    expect(readFileSync(join(dir, 'agent-change.txt'), 'utf8')).toContain('codex');
    expect(r.completion).toEqual({
      task_id: 't-implementer-1', status: 'completed', summary: 'Fixed count() in agent-change.txt.',
      artifacts: ['agent-change.txt', 'src/count.js'], findings: [],
    });
    expect(r.usage).toEqual({ cost_usd: null, turns: 1 });
  });

  it('decides from the events, not the exit code', async () => {
    const ok = await run('codex', 'success_exit1', task('fixer'));
    expect(ok.exitCode).toBe(1);
    expect(ok.completion?.status).toBe('completed');
    const failed = await run('codex', 'turn_failed', task('implementer'));
    expect(failed.exitCode).toBe(0);
    expect(failed.completion?.status).toBe('failed');
    expect(failed.error_kind).toBe('turn.failed');
    expect(failed.completion?.summary).toContain('the model returned no output');
    expect(failed.outcome.kind).toBe('failed');
    const error = await run('codex', 'error', task('implementer'));
    expect(error.completion?.status).toBe('failed');
    expect(error.error_kind).toBe('error');
    expect(error.usage.turns).toBe(0);
  });

  it('reads the reviewer verdict', async () => {
    const r = await run('codex', 'review_pass', task('reviewer'));
    expect(r.completion).toMatchObject({ status: 'completed', verdict: 'PASS', summary: 'The change is minimal.' });
  });

  it('returns no completion when the agent died mid-way', async () => {
    const r = await run('codex', 'crash', task('implementer'));
    expect(r.exitCode).toBe(101);
    expect(r.completion).toBeNull();
    expect(r.error_kind).toBe('no_terminal_event');
  });
});

describe('prompt', () => {
  it('is role-specific', () => {
    const impl = buildPrompt(task('implementer'));
    expect(impl).toMatch(/^# Buran task: implement/);
    for (const text of [plan.goal, plan.acceptance_criteria[0]!, plan.instructions, 'node check.mjs', '/runs/r1/tasks/t-1/task.json', '"status":"blocked"']) {
      expect(impl).toContain(text);
    }
    expect(impl).not.toContain('"verdict"');

    const fixer = buildPrompt(task('fixer', [{ severity: 'error', message: 'count() returns 3 for 2 widgets', path: 'src/count.js' }]));
    expect(fixer).toContain('## Findings to fix');
    expect(fixer).toContain('- [error] src/count.js: count() returns 3 for 2 widgets');

    const review = buildPrompt(task('reviewer'));
    expect(review).toContain('read-only');
    expect(review).toContain(plan.review_criteria[0]!);
    expect(review).toContain('node check.mjs');
    expect(review).toContain('Do not modify');
    expect(review).toContain('{"verdict":"PASS"|"FAIL"|"BLOCKED","findings":[');
    expect(review).not.toContain('## Findings to fix');
  });

  it('drops findings past the 100 kB cap and says how many', () => {
    const findings = Array.from({ length: 2000 }, (_, i) => ({ severity: 'error', message: `finding ${i} ${'x'.repeat(200)}`, path: `src/f${i}.js` }));
    const prompt = buildPrompt(task('fixer', findings));
    expect(Buffer.byteLength(prompt)).toBeLessThanOrEqual(PROMPT_MAX_BYTES);
    const kept = prompt.match(/^- \[error\] src\/f\d+\.js:/gm)?.length ?? 0;
    expect(kept).toBeGreaterThan(100);
    expect(prompt).toContain(`${2000 - kept} more finding(s) dropped`);
    expect(prompt).toContain('"status":"blocked"');
  });

  it('stays under the cap when the plan itself is huge', () => {
    const big = { ...plan, instructions: 'é'.repeat(200_000) };
    const prompt = buildPrompt({ ...task('implementer'), plan: big });
    expect(Buffer.byteLength(prompt)).toBeLessThanOrEqual(PROMPT_MAX_BYTES);
    expect(prompt).toContain('truncated');
    expect(prompt).toContain('node check.mjs');
  });
});
