// Headless Chromium on `buran inspect`: the board of several runs, a blocked run's page, and a run
// another process drives followed on its page. Pages are rendered by the server: each is checked
// with scripts off too, and screenshotted right after load.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.ts';
import { buran, eventsOf, makeSandbox, ROOT, until, writeConfig, writePacket, type Sandbox } from '../helpers/sandbox.ts';
import { makeRepo } from '../helpers/git-repo.ts';
import { openGate, startCli, writeGatedConfig } from '../helpers/live-run.ts';
import { guardedPage, serve, type Served } from './helpers.ts';

const SHOTS = join(ROOT, 'test-output', 'inspector');
// The README's screenshots: written to docs/ when asked (BURAN_DOCS_SCREENSHOTS=1), else beside the others.
const DOCS = process.env.BURAN_DOCS_SCREENSHOTS === '1' ? join(ROOT, 'docs') : SHOTS;
const CLAUDE = join(ROOT, 'test', 'fixtures', 'agents', 'claude');

const activeLeaf = (page: Page) => page.$$eval('#chart .state.active-leaf', (nodes) => nodes.map((n) => n.getAttribute('data-id')));
const rowState = (page: Page, runId: string) => page.getAttribute(`#board-rows tr[data-run="${runId}"]`, 'data-state');
const cellText = (page: Page, runId: string, cls: string) => page.textContent(`#board-rows tr[data-run="${runId}"] .${cls}`);

function packet(sb: Sandbox, taskId: string, goal: string): string {
  return writePacket(sb, {
    task_id: taskId, scope: { goal, acceptance_criteria: ['the checks pass'], non_goals: [] },
    scm_target: { repo: 'acme/widgets', base_branch: 'main', intended_branch: `buran/${taskId}` },
  }, `${taskId}.json`);
}

async function inspect(sb: Sandbox, runId?: string): Promise<Served> {
  return serve(['inspect', ...(runId ? [runId] : []), '--port', '0', '--registry', sb.registry]);
}

async function stop(served: Served): Promise<void> {
  served.proc.kill('SIGINT');
  expect(await served.exited).toBe(0);
}

describe('the inspector board and run pages in headless Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    chmodSync(CLAUDE, 0o755);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('the board lists every run (state, current worker, blocker, cost, elapsed) at first paint and follows them live', { timeout: 120_000 }, async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    // A run whose agent (the Claude stand-in) reports its cost, one a reviewer blocked, one whose implementer failed.
    const agent = { preset: 'claude', program: CLAUDE, env: ['STANDIN_MODE_REVIEWER'] };
    const agentConfig = sb.path('agent.json');
    writeFileSync(agentConfig, JSON.stringify({ workers: { implementer: agent, reviewer: agent }, verification: { allowed_commands: ['node check.mjs'] }, limits: { max_fix_attempts: 0 } }));
    const ready = await buran(['run', packet(sb, 'widget-count', 'Make the widget count right'), '--repo', r.repo, '--config', agentConfig, '--registry', sb.registry, '--run-id', 'agent-ready'], { env: { ...r.env, STANDIN_MODE_REVIEWER: 'review_pass' } });
    expect(ready.code, ready.stderr).toBe(0);
    const blockedConfig = writeConfig(sb, { implementer: ['ok'], reviewer: ['review-blocked'] });
    const blocked = await buran(['run', packet(sb, 'api-docs', 'Document the widget API'), '--config', blockedConfig, '--workspace', sb.workspace, '--registry', sb.registry, '--run-id', 'review-blocked']);
    expect(blocked.code, blocked.stderr).toBe(3);
    const failedConfig = writeConfig(sb, { implementer: ['failed'], reviewer: ['pass'] }, { limits: { max_fix_attempts: 0, max_dispatch_retries: 0 } });
    const failed = await buran(['run', packet(sb, 'login-retry', 'Retry a failed login once'), '--config', failedConfig, '--workspace', sb.workspace, '--registry', sb.registry, '--run-id', 'impl-failed']);
    expect(failed.code, failed.stderr).toBe(4);

    const served = await inspect(sb);
    expect(served.stdout().trim()).toBe(served.url);
    try {
      // Rendered by the server: with scripts off the board is all there.
      const still = await guardedPage(browser, { javaScript: false });
      await still.page.goto(served.url);
      expect(await still.page.$$eval('#board-rows tr.run-row', (rows) => rows.map((row) => row.getAttribute('data-run')))).toEqual(expect.arrayContaining(['agent-ready', 'review-blocked', 'impl-failed']));
      expect(await rowState(still.page, 'agent-ready')).toBe('ready_for_manual_review');
      expect(await cellText(still.page, 'agent-ready', 'cost')).toBe('$0.0246');
      expect(await rowState(still.page, 'review-blocked')).toBe('blocked_needs_human');
      expect(await cellText(still.page, 'review-blocked', 'blocker')).toContain('review_blocked');
      expect(await cellText(still.page, 'review-blocked', 'blocker')).toContain('cannot judge without the design doc');
      expect(await rowState(still.page, 'impl-failed')).toBe('failed_execution');
      expect(await cellText(still.page, 'impl-failed', 'blocker')).toContain('retry_exhausted');
      expect(await cellText(still.page, 'impl-failed', 'elapsed')).toMatch(/^\d+ s$/);
      expect(await still.page.textContent('#board-summary')).toBe('3 runs: 1 blocked, 1 failed, 1 ready');
      await still.page.screenshot({ path: join(SHOTS, 'board-no-script.png') });
      await still.close();

      const { page, outside, errors, close } = await guardedPage(browser);
      await page.goto(served.url);
      // Right after load, before any script ran a fetch: the rows are on screen.
      expect(await page.$$eval('#board-rows tr.run-row', (rows) => rows.length)).toBe(3);
      await page.screenshot({ path: join(SHOTS, 'board-first-paint.png') });

      // A run started now appears on its own, with the worker it waits on, and moves on as it goes.
      const live = startCli(['run', packet(sb, 'cache-ttl', 'Expire cached widgets after an hour'), '--config', writeGatedConfig(sb, { implementer: { mode: 'ok', gated: true }, reviewer: { mode: 'pass' } }), '--workspace', sb.workspace, '--registry', sb.registry, '--run-id', 'live-run']);
      try {
        await page.waitForSelector('#board-rows tr[data-run="live-run"][data-state="running"][data-driven="true"]', { timeout: 30_000 });
        expect(await cellText(page, 'live-run', 'worker')).toMatch(/^implementer t1-implementer \(attempt 1, epoch 1\), (running \d+ s|starting)$/);
        expect(await page.$$eval('#board-rows tr.run-row', (rows) => rows[0]!.getAttribute('data-run'))).toBe('live-run');
        expect(await page.textContent('#board-summary')).toBe('4 runs: 1 live, 1 blocked, 1 failed, 1 ready');
        await page.waitForFunction(() => /running [1-9]\d* s/.test(document.querySelector('#board-rows tr[data-run="live-run"] .worker')?.textContent ?? ''), undefined, { timeout: 30_000 });
        await page.screenshot({ path: join(DOCS, 'inspector-board.png') });
        openGate(sb, 'implementer');
        await page.waitForSelector('#board-rows tr[data-run="live-run"][data-state="ready_for_manual_review"]', { timeout: 30_000 });
        expect(await live.exited).toBe(0);
      } finally {
        live.proc.kill('SIGKILL');
      }
      expect(await page.textContent('#board-summary')).toBe('4 runs: 1 blocked, 1 failed, 2 ready');
      expect(await cellText(page, 'live-run', 'worker')).toBe('-');
      // A click on a row opens that run's page.
      await page.click('#board-rows tr[data-run="review-blocked"] td.worker');
      await page.waitForURL(/\/runs\/review-blocked$/);
      expect(await page.textContent('#why')).toContain('review_blocked');
      expect(outside, 'requests outside 127.0.0.1').toEqual([]);
      expect(errors).toEqual([]);
      await close();
    } finally {
      await stop(served);
    }
  });

  it("a blocked run's page: why it stopped, the next safe action, the diagram with its state lit, its logs and change; replay opens at the end", { timeout: 90_000 }, async () => {
    const sb = makeSandbox();
    const r = makeRepo(sb);
    const config = writeConfig(sb, { implementer: ['ok'], reviewer: ['review-blocked'], args: { implementer: ['--touch', 'src/count.js'] } }, { lease: { wait_ms: 0 } });
    const run = await buran(['run', packet(sb, 'widget-count', 'Make the widget count right'), '--repo', r.repo, '--config', config, '--registry', sb.registry, '--run-id', 'blocked-review'], { env: r.env });
    expect(run.code, run.stderr).toBe(3);
    const entries = await eventsOf(sb, 'blocked-review');

    const served = await inspect(sb, 'blocked-review');
    const pageUrl = `${served.url}runs/blocked-review`;
    expect(served.stdout().trim()).toBe(pageUrl);
    try {
      const still = await guardedPage(browser, { javaScript: false });
      await still.page.goto(pageUrl);
      const why = await still.page.textContent('#why');
      expect(why).toContain('Why it stopped');
      expect(why).toContain('review_blocked');
      expect(why).toContain('cannot judge without the design doc');
      expect(why).toMatch(/Next safe action: manual_review a person must look at why the run stopped \(review_blocked\)/);
      expect(await activeLeaf(still.page)).toEqual(['run.blocked_needs_human']);
      // A diagram: every state of `buran graph` a box, the transitions arrows.
      const graph = JSON.parse((await buran(['graph', '--format', 'json'])).stdout);
      const ids = (node: { id: string; children: any[] }): string[] => [node.id, ...node.children.flatMap(ids)];
      expect(await still.page.$$eval('#chart svg .state', (states) => states.map((s) => s.getAttribute('data-id')).sort())).toEqual(ids(graph.root).slice(1).sort());
      expect(await still.page.$$eval('#chart svg .edge path[marker-end]', (paths) => paths.length)).toBeGreaterThan(30);
      expect(await still.page.$$eval('#logs .log-section summary', (s) => s.map((x) => x.textContent))).toEqual([
        't1-implementer: implementer, attempt 1, epoch 1, completed (exit 0)',
        'verification, epoch 1, command 1: node check.mjs, passed (exit 0)',
        't2-reviewer: reviewer, attempt 1, epoch 1, completed (exit 0), verdict BLOCKED',
      ]);
      const change = await still.page.textContent('#change');
      expect(change).toContain('diff --git a/src/count.js b/src/count.js');
      expect(change).toContain('+implementer t1-implementer');
      expect(await still.page.getAttribute('#timeline', 'value')).toBe(String(entries.length - 1));
      await still.close();

      const { page, outside, errors, close } = await guardedPage(browser);
      await page.goto(pageUrl);
      await page.screenshot({ path: join(DOCS, 'inspector-blocked-run.png'), fullPage: true });
      await page.waitForFunction(() => (window as any).__inspector?.ready === true);
      // Replay opens at the last journal entry: the run's ending, with the arrow that led there.
      expect(await page.getAttribute('#timeline', 'max')).toBe(String(entries.length - 1));
      expect(await page.$eval('#timeline', (input) => (input as HTMLInputElement).value)).toBe(String(entries.length - 1));
      expect(await page.getAttribute('#log .log-row.current', 'data-index')).toBe(String(entries.length - 1));
      expect(await activeLeaf(page)).toEqual(['run.blocked_needs_human']);
      expect(await page.$$eval('#chart .edge.taken', (edges) => edges.map((e) => e.getAttribute('data-target')))).toEqual(['run.blocked_needs_human']);
      expect(await page.textContent('#status')).toBe('replay: blocked-review (blocked_needs_human)');
      // Stepping back lights the state before.
      await page.keyboard.press('ArrowLeft');
      const before = [...entries.slice(0, -1)].reverse().find((e) => e.type === 'run.transition')!;
      expect(await activeLeaf(page)).toEqual([`run.${before.to}`]);
      expect(outside, 'requests outside 127.0.0.1').toEqual([]);
      expect(errors).toEqual([]);
      expect(await page.evaluate(() => (window as any).__inspector.errors)).toEqual([]);
      await close();
    } finally {
      await stop(served);
    }
  });

  it('a run another process drives is followed on its page until it ends, without a reload', { timeout: 90_000 }, async () => {
    const sb = makeSandbox();
    const config = writeGatedConfig(sb, { implementer: { mode: 'ok', gated: true }, reviewer: { mode: 'pass', gated: true } });
    const run = startCli(['run', packet(sb, 'widget-count', 'Make the widget count right'), '--config', config, '--workspace', sb.workspace, '--registry', sb.registry, '--run-id', 'followed']);
    const served = await inspect(sb);
    try {
      const implementerLog = join(sb.registry, 'runs', 'followed', 'tasks', 't1-implementer', 'output.log');
      await until(() => existsSync(implementerLog) && readFileSync(implementerLog, 'utf8').includes('before the gate'), 30_000);
      const { page, outside, errors, close } = await guardedPage(browser);
      await page.goto(`${served.url}runs/followed`);
      expect(await page.textContent('#why')).toContain('In progress: running.awaiting');
      expect(await page.textContent('#head-worker')).toMatch(/^implementer t1-implementer/);
      expect(await activeLeaf(page)).toEqual(['run.running.awaiting']);
      expect(await page.textContent('#logs')).toContain('implementer speaking: before the gate');
      await page.waitForFunction(() => (window as any).__inspector?.ready === true);
      await page.evaluate(() => { (window as any).__sameDocument = true; });

      openGate(sb, 'implementer');
      await page.waitForSelector('#chart .state.active-leaf[data-id="run.internal_review.awaiting"]', { timeout: 30_000 });
      await page.waitForFunction(() => document.querySelector('#logs')?.textContent?.includes('implementer speaking: after the gate'), undefined, { timeout: 30_000 });
      await page.waitForFunction(() => document.querySelector('#logs')?.textContent?.includes('reviewer speaking: before the gate'), undefined, { timeout: 30_000 });
      expect(await page.textContent('#head-worker')).toMatch(/^reviewer t2-reviewer/);
      await page.screenshot({ path: join(SHOTS, 'followed-review.png') });

      openGate(sb, 'reviewer');
      expect(await run.exited).toBe(0);
      await page.waitForSelector('#chart .state.active-leaf[data-id="run.ready_for_manual_review"]', { timeout: 30_000 });
      await page.waitForFunction(() => document.querySelector('#why')?.textContent?.includes('Ready for manual review'), undefined, { timeout: 30_000 });
      expect(await page.textContent('#status')).toBe('replay: followed (ready_for_manual_review)');
      const seen = (await page.evaluate(() => (window as any).__inspector.highlights as Array<{ path: string }>)).map((h) => h.path);
      const order = ['running.awaiting', 'internal_review.awaiting', 'ready_for_manual_review'].map((p) => seen.indexOf(p));
      expect(order.every((i) => i >= 0), seen.join(' | ')).toBe(true);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
      expect(outside, 'requests outside 127.0.0.1').toEqual([]);
      expect(errors).toEqual([]);
      await close();
    } finally {
      run.proc.kill('SIGKILL');
      await stop(served);
    }
  });
});
