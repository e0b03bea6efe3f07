import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buran, eventsOf, makeSandbox, ROOT, statusOf, writePacket, type Sandbox } from '../helpers/sandbox.ts';
import { makeRepoFrom, type FixtureRepo } from '../helpers/git-repo.ts';

// CONTRACT 3 / 5: workspace.setup runs once in each fresh workspace before the implementer; a
// verification command that cannot find its program is BLOCKED, never a FAIL for the fixer.

const FIXTURE = join(ROOT, 'test', 'fixtures', 'setup-repo');
const EDIT = join(ROOT, 'test', 'fixtures', 'edit-worker.mjs');
const WORKER = join(ROOT, 'test', 'fixtures', 'worker.mjs');
const FIXED = 'export const count = (widgets) => widgets.length;\n';
const NPM_CI = ['npm', 'ci', '--offline', '--no-audit', '--no-fund'];

function config(sb: Sandbox, workspace: Record<string, unknown>): string {
  const path = sb.path('config.json');
  writeFileSync(path, JSON.stringify({
    workers: {
      implementer: { command: ['node', EDIT, '--set', 'src/widgets.mjs', FIXED] },
      fixer: { command: ['node', WORKER, '--log', sb.path('fixer.calls.jsonl'), '--sequence', 'ok'] },
      reviewer: { command: ['node', EDIT, '--verdict', 'PASS'] },
    },
    verification: { allowed_commands: ['npm test'] },
    limits: { max_fix_attempts: 1, max_dispatch_retries: 0 },
    handoff: { kind: 'git-branch' },
    workspace,
  }));
  return path;
}

const packet = (sb: Sandbox) => writePacket(sb, { verification: { commands: ['npm test'], expectations: 'the tests pass' } });

async function runIn(sb: Sandbox, r: FixtureRepo, workspace: Record<string, unknown>, runId: string) {
  return buran(['run', packet(sb), '--repo', r.repo, '--config', config(sb, workspace), '--registry', sb.registry, '--run-id', runId], { env: r.env });
}

describe('workspace.setup', () => {
  it('installs the test runner in the fresh worktree before the implementer; the tests then run, and nothing it made is committed', async () => {
    const sb = makeSandbox();
    const r = makeRepoFrom(sb, FIXTURE);
    const result = await runIn(sb, r, { setup: [NPM_CI] }, 'setup-ok');
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stderr).toContain(`setup 1: ${NPM_CI.join(' ')}`);

    const events = await eventsOf(sb, 'setup-ok');
    const setupAt = events.findIndex((e) => e.type === 'workspace.setup');
    const implementerAt = events.findIndex((e) => e.type === 'worker.started' && e.role === 'implementer');
    expect(setupAt).toBeGreaterThan(-1);
    expect(setupAt).toBeLessThan(implementerAt);
    expect(events.filter((e) => e.type === 'run.transition').map((e) => e.to)).toContain('running.setting_up');
    const log = join(sb.registry, 'runs', 'setup-ok', 'setup', 'command-1.log');
    expect(readFileSync(log, 'utf8')).toMatch(/added 1 package/);
    // Verification ran the repo's own test script through the installed runner, and it passed.
    expect(readFileSync(join(sb.registry, 'runs', 'setup-ok', 'epochs', '1', 'command-1.log'), 'utf8')).toContain('ok widgets.test.mjs');
    expect(r.git('diff-tree', '-r', '--no-commit-id', '--name-only', 'buran/fixture-1')).toBe('src/widgets.mjs');
  });

  it('without the setup step, `npm test` exits 127 (runner not found): verification_blocked naming workspace.setup, and the fixer is not paid', async () => {
    const sb = makeSandbox();
    const r = makeRepoFrom(sb, FIXTURE);
    const result = await runIn(sb, r, {}, 'no-setup');
    expect(result.code, result.stdout).toBe(3);
    const status = await statusOf(sb, 'no-setup');
    expect(status.blocker).toMatchObject({ code: 'verification_blocked', epoch: 1 });
    expect(status.blocker.message).toContain('exited 127');
    expect(status.blocker.message).toContain('fixture-test-runner');
    expect(status.blocker.message).toContain('workspace.setup');
    expect(existsSync(sb.path('fixer.calls.jsonl'))).toBe(false);
    expect(status.next_safe_action.kind).toBe('clean');
  });

  it('a failing setup command ends workspace_setup_failed with its output; no worker is paid; a resume does not set up again', async () => {
    const sb = makeSandbox();
    const r = makeRepoFrom(sb, FIXTURE);
    const failing = ['node', '-e', "console.error('npm ERR! cannot reach the registry'); process.exit(7)"];
    const result = await runIn(sb, r, { setup: [['node', '-e', "console.log('first step')"], failing, NPM_CI] }, 'setup-fails');
    expect(result.code, result.stdout).toBe(3);
    const status = await statusOf(sb, 'setup-fails');
    expect(status.blocker.code).toBe('workspace_setup_failed');
    expect(status.blocker.message).toMatch(/^workspace\.setup command 2 "node -e .*" exited with code 7; its output \(full log .*command-2\.log\):\nnpm ERR! cannot reach the registry$/);
    expect(status.tasks).toEqual([]);
    expect((await eventsOf(sb, 'setup-fails')).filter((e) => e.type === 'workspace.setup').map((e) => e.index)).toEqual([1, 2]);
    const again = await buran(['resume', 'setup-fails', '--registry', sb.registry], { env: r.env });
    expect(again.code).toBe(3);
    expect((await eventsOf(sb, 'setup-fails')).filter((e) => e.type === 'workspace.setup')).toHaveLength(2);
  });

  it('a setup command past workspace.setup_timeout_ms is killed and blocks the run', async () => {
    const sb = makeSandbox();
    const r = makeRepoFrom(sb, FIXTURE);
    const result = await runIn(sb, r, { setup: [['node', '-e', 'setInterval(() => {}, 1000)']], setup_timeout_ms: 400 }, 'setup-slow');
    expect(result.code).toBe(3);
    const status = await statusOf(sb, 'setup-slow');
    expect(status.blocker.code).toBe('workspace_setup_failed');
    expect(status.blocker.message).toContain('workspace.setup_timeout_ms (400 ms) ran out');
  });
});
