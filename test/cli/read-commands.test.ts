import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentSandbox } from '../helpers/agents.ts';
import { buran, eventsOf, makeSandbox, runIn, statusOf, writeConfig, writePacket, type Sandbox } from '../helpers/sandbox.ts';

// Each sandbox is removed when its test ends (makeSandbox), with any process still using it.
const sandbox = (): Sandbox => makeSandbox();

/** The column each header word starts at, and each row's cell starts there too. */
function columnsAligned(lines: string[], header: string[]): boolean {
  const starts = header.map((h) => lines[0]!.indexOf(h));
  return lines.slice(1).every((line) => starts.every((at, i) => i === 0 || (line[at - 1] === ' ' && line[at] !== ' ')));
}

describe('buran list', () => {
  it('newest first under an aligned header, with relative times, cost, --state and --limit; --json keeps every field', async () => {
    // A run whose claude stand-in reports $0.0246, then two plain ones: ready, then blocked.
    const agent = agentSandbox({ preset: 'claude', modes: { implementer: 'success', reviewer: 'review_pass' }, runId: 'paid' });
    const sb = agent.sb;
    const paid = await buran(['run', agent.packet, '--repo', agent.repo.repo, '--config', agent.config, '--registry', sb.registry, '--run-id', 'paid'], { env: agent.env });
    expect(paid.code, paid.stderr).toBe(0);
    const plain = writeConfig(sb, { implementer: ['ok'], fixer: ['ok'], reviewer: ['pass'] });
    expect((await runIn(sb, plain, writePacket(sb), ['--run-id', 'ready-one'])).code).toBe(0);
    const blocked = writeConfig(sb, { implementer: ['blocked'], fixer: ['ok'], reviewer: ['pass'] });
    expect((await runIn(sb, blocked, writePacket(sb), ['--run-id', 'blocked-one'])).code).toBe(3);

    const list = await buran(['list', '--registry', sb.registry]);
    expect(list.code).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^RUN +STATE +UPDATED +COST +BLOCKER$/);
    expect(lines.slice(1).map((l) => l.split(/ +/)[0])).toEqual(['blocked-one', 'ready-one', 'paid']);
    expect(columnsAligned(lines, ['RUN', 'STATE', 'UPDATED', 'COST', 'BLOCKER'])).toBe(true);
    expect(lines[1]).toMatch(/^blocked-one +blocked_needs_human +(just now|\d+s ago) +- +worker_blocked$/);
    expect(lines[3]).toMatch(/^paid +ready_for_manual_review +(just now|\d+s ago) +\$0\.02 +-$/);

    const only = await buran(['list', '--state', 'ready_for_manual_review', '--registry', sb.registry]);
    expect(only.stdout.trimEnd().split('\n').slice(1).map((l) => l.split(/ +/)[0])).toEqual(['ready-one', 'paid']);
    const newest = await buran(['list', '--limit', '1', '--registry', sb.registry]);
    expect(newest.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(newest.stdout).toContain('blocked-one');
    const json = (await buran(['list', '--json', '--limit', '2', '--state', 'ready_for_manual_review', '--registry', sb.registry])).stdout
      .trim().split('\n').map((l) => JSON.parse(l));
    expect(json.map((r) => [r.run_id, r.state, r.blocker, r.cost_usd])).toEqual([['ready-one', 'ready_for_manual_review', null, 0], ['paid', 'ready_for_manual_review', null, 0.0246]]);
    expect(Date.parse(json[0].updated_at)).toBeGreaterThan(Date.parse(json[1].updated_at));

    const none = await buran(['list', '--state', 'failed_execution', '--registry', sb.registry]);
    expect(none).toMatchObject({ code: 0, stdout: `no failed_execution runs in ${sb.registry}\n` });
    expect((await buran(['list', '--state', 'blocked', '--registry', sb.registry])).code).toBe(2);
    expect((await buran(['list', '--limit', '0', '--registry', sb.registry])).code).toBe(2);
  }, 60_000);
});

describe('buran status and events, read by a person', () => {
  it('status lists every log path and keeps a multi-line blocker message indented; events say what happened without xstate names', async () => {
    const sb = sandbox();
    // The first verification fails (exit 1), the fixer's does not find its program (exit 127): BLOCKED with the output's tail.
    writeFileSync(join(sb.workspace, 'check-exit.txt'), '1,127');
    const config = writeConfig(sb, { implementer: ['ok'], fixer: ['ok'], reviewer: ['pass'] }, {
      workspace: { setup: [['node', '-e', 'console.log("deps ready")']] },
    });
    const run = await runIn(sb, config, writePacket(sb), ['--run-id', 'story']);
    expect(run.code).toBe(3);

    // run: progress on stderr (no TTY here), one line per command with its exit code, the cost last on stdout.
    expect(run.stderr).toContain('setup 1: node -e console.log("deps ready") → exit 0, passed');
    expect(run.stderr).toMatch(/verification 1 \(epoch 1\): node check\.mjs → exit 1, failed/);
    expect(run.stderr).toMatch(/verification 1 \(epoch 2\): node check\.mjs → exit 127, start_failed/);
    expect(run.stderr).toMatch(/verification → fix_loop {2}\(verification FAIL in epoch 1\)/);
    expect(run.stderr).not.toContain('xstate');
    expect(run.stdout.trimEnd().split('\n').pop()).toBe('cost: not reported (no worker is an agent preset)');

    const status = await buran(['status', 'story', '--registry', sb.registry]);
    const view = await statusOf(sb, 'story');
    expect(view.blocker.code).toBe('verification_blocked');
    expect(view.blocker.message.split('\n').length).toBeGreaterThan(1);
    const lines = status.stdout.trimEnd().split('\n');
    // Every line but the first is indented: a multi-line message does not break the layout.
    expect(lines.slice(1).every((l) => l.startsWith('  '))).toBe(true);
    const first = lines.findIndex((l) => l.startsWith('    verification_blocked'));
    const messageLines = view.blocker.message.split('\n');
    for (const [i, text] of messageLines.slice(1).entries()) expect(lines[first + 1 + i]).toBe(`      ${text}`);

    // The blocker is shown once: the next action says what to do, on one line.
    const next = lines.slice(lines.findIndex((l) => l.startsWith('  next:')));
    expect(next).toHaveLength(1);
    expect(next[0]).not.toContain(messageLines[1]);

    expect(view.logs.map((l: any) => [l.kind, l.task_id ?? l.index, l.epoch ?? null])).toEqual([
      ['setup', 1, null], ['task', 't1-implementer', null], ['verification', 1, 1], ['task', 't2-fixer', null], ['verification', 1, 2],
    ]);
    for (const log of view.logs) {
      expect(existsSync(log.path)).toBe(true);
      expect(status.stdout).toContain(log.path);
    }
    expect(status.stdout).toMatch(/^ {4}setup 1 +\S+setup\/command-1\.log$/m);
    expect(status.stdout).toMatch(/^ {4}verification 1 \(epoch 2\) +\S+epochs\/2\/command-1\.log$/m);

    const events = await buran(['events', 'story', '--registry', sb.registry]);
    expect(events.code).toBe(0);
    expect(events.stdout).not.toMatch(/xstate/);
    expect(events.stdout).toMatch(/^ +\d+ +\d\d:\d\d:\d\d\.\d{3} +verification 1 \(epoch 1\): node check\.mjs → exit 1, failed$/m);
    expect(events.stdout).toMatch(/verification 1 \(epoch 2\): node check\.mjs → exit 127, start_failed/);
    expect(events.stdout).toMatch(/t1-implementer started: implementer, pid \d+/);
    expect(events.stdout).toMatch(/t1-implementer exited 0, completion present/);
    // One line per entry, and --json keeps the journal as recorded, xstate event names included.
    const journal = await eventsOf(sb, 'story');
    expect(events.stdout.trimEnd().split('\n').filter((l) => /^ +\d+ /.test(l))).toHaveLength(journal.length);
    expect(journal.some((e) => String(e.event ?? '').startsWith('xstate.done.actor.'))).toBe(true);
    expect(journal.filter((e) => e.type === 'verification.result').map((e) => [e.epoch, e.exit_code, e.outcome])).toEqual([[1, 1, 'failed'], [2, 127, 'start_failed']]);
  }, 60_000);
});
