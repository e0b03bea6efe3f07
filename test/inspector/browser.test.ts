// Headless Chromium on a run's page served by `run --inspect`: live highlight through a fix-loop run (SSE), then replay stepped on the timeline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../helpers/browser.ts';
import { ROOT, eventsOf, makeSandbox, writePacket } from '../helpers/sandbox.ts';
import { serve } from './helpers.ts';
import { openGate, writeGatedConfig } from '../helpers/live-run.ts';

const SHOTS = join(ROOT, 'test-output', 'inspector');

type Highlight = { mode: string; path: string };
const highlights = (page: Page) => page.evaluate(() => (window as any).__inspector.highlights as Highlight[]);
const activeLeaf = (page: Page) => page.$$eval('#chart .state.active-leaf', (nodes) => nodes.map((n) => n.getAttribute('data-id')));

/** Where each journal position leaves the run: the `to` of the last run entry at or before it. */
function expectedLeaves(entries: Array<Record<string, any>>): string[] {
  let path = '';
  return entries.map((e) => {
    if (e.type === 'run.created' || e.type === 'run.transition') path = e.to;
    return `run.${path}`;
  });
}

describe('inspector page in headless Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('follows a fix-loop run live, replays it step by step, and never leaves 127.0.0.1', { timeout: 60_000 }, async () => {
    const sb = makeSandbox();
    writeFileSync(join(sb.workspace, 'check-exit.txt'), '1,0');
    // The fixer waits at a gate: the page is surely open while the run is in the fix loop.
    const config = writeGatedConfig(sb, { implementer: { mode: 'ok' }, fixer: { mode: 'ok', gated: true }, reviewer: { mode: 'pass' } }, { limits: { max_fix_attempts: 2, max_dispatch_retries: 2 } });
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const requests: string[] = [];
    const outside: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1') return route.continue();
      outside.push(url.href);
      return route.abort();
    });

    const served = await serve(['run', writePacket(sb), '--config', config, '--workspace', sb.workspace, '--registry', sb.registry, '--inspect', '--inspect-port', '0', '--inspect-wait']);
    try {
      // The board names the run this process drives once it has started; its page opens in live mode.
      await page.goto(served.url);
      await page.waitForSelector('#live-banner:not([hidden]) a', { timeout: 20_000 });
      const runId = served.stdout().split('\n')[0]!;
      expect(await page.textContent('#live-banner a')).toBe(runId);
      await page.click('#live-banner a');
      await page.waitForURL(new RegExp(`/runs/${runId}$`));
      await page.waitForFunction(() => (window as any).__inspector?.ready === true);
      expect(await page.textContent('#status')).toMatch(/live/);

      // The highlight moves into the fix loop while the fixer works, and the fixer's own chart shows it dispatched.
      await page.waitForSelector('#chart .state.active-leaf[data-id="run.fix_loop.awaiting"]', { timeout: 20_000 });
      expect(await page.getAttribute('#chart .state[data-id="run.fix_loop"]', 'class')).toContain('active');
      await page.waitForSelector('.task.current .chip.active[data-state="dispatched"]');
      expect(await page.textContent('.task.current .task-meta')).toContain('fixer');
      await page.screenshot({ path: join(SHOTS, 'live-fix-loop.png') });
      openGate(sb, 'fixer');

      await page.waitForFunction(() => (window as any).__inspector.live.ended === true, undefined, { timeout: 20_000 });
      expect(await activeLeaf(page)).toEqual(['run.ready_for_manual_review']);
      const live = (await highlights(page)).filter((h) => h.mode === 'live').map((h) => h.path);
      // Seen in this order (the page may join after the first steps).
      const order = ['fix_loop.awaiting', 'verification.running_commands', 'internal_review.awaiting', 'ready_for_manual_review'];
      const at = order.map((p) => live.indexOf(p, live.indexOf('fix_loop.awaiting')));
      expect(at.every((i) => i >= 0), `live highlights: ${live.join(' | ')}`).toBe(true);
      expect([...at].sort((a, b) => a - b)).toEqual(at);
      // Tasks with their states, and an event log whose payloads are shown.
      expect(await page.$$eval('.task', (cards) => cards.map((c) => (c as HTMLElement).dataset.task))).toEqual(
        expect.arrayContaining([expect.stringMatching(/implementer/), expect.stringMatching(/fixer/), expect.stringMatching(/reviewer/)]),
      );
      expect(await page.$$eval('.task .chip.active', (chips) => chips.map((c) => c.textContent))).toEqual(['completed', 'completed', 'completed']);
      expect(await page.textContent('#log')).toContain('task.settled');
      expect(await page.$$eval('#log .log-row pre', (pres) => pres.length)).toBeGreaterThan(5);
      await page.screenshot({ path: join(SHOTS, 'live-ended.png') });

      // Replay the recorded run from its journal: it opens at the end; Home goes to the start.
      const entries = await eventsOf(sb, runId);
      const leaves = expectedLeaves(entries);
      await page.click('#mode-live');
      await page.waitForSelector('#replay-bar:not([hidden])');
      // The page re-reads a run's journal every second: it catches up with the last entries by itself.
      const last = String(entries.length - 1);
      await page.waitForFunction((max) => document.querySelector('#timeline')?.getAttribute('max') === max, last, { timeout: 10_000 }).catch(() => {});
      expect(await page.getAttribute('#timeline', 'max')).toBe(last);
      expect(await activeLeaf(page)).toEqual([leaves[entries.length - 1]]);
      await page.keyboard.press('Home');
      expect(await activeLeaf(page)).toEqual([leaves[0]]);
      for (let i = 1; i < entries.length; i++) {
        await page.click('#rp-next');
        expect(await activeLeaf(page), `step ${i} (seq ${entries[i]!.seq})`).toEqual([leaves[i]]);
        expect(await page.getAttribute('#log .log-row.current', 'data-index')).toBe(String(i));
      }
      for (let i = entries.length - 2; i >= entries.length - 6; i--) {
        await page.click('#rp-prev');
        expect(await activeLeaf(page), `back to step ${i}`).toEqual([leaves[i]]);
      }
      // Jump on the timeline to the step that entered the fix loop.
      const intoFix = entries.findIndex((e) => e.type === 'run.transition' && String(e.to).startsWith('fix_loop'));
      await page.$eval('#timeline', (input, value) => {
        (input as HTMLInputElement).value = String(value);
        input.dispatchEvent(new Event('input'));
      }, intoFix);
      expect(await activeLeaf(page)).toEqual([leaves[intoFix]]);
      expect(await page.$$eval('#chart .edge.taken', (edges) => edges.map((e) => e.getAttribute('data-target')))).toContain('run.fix_loop');
      await page.keyboard.press('ArrowLeft');
      expect(await activeLeaf(page)).toEqual([leaves[intoFix - 1]]);
      await page.keyboard.press('ArrowRight');
      await page.screenshot({ path: join(SHOTS, 'replay-fix-loop.png') });

      expect(outside, 'requests outside 127.0.0.1').toEqual([]);
      expect(requests.length).toBeGreaterThan(4);
      for (const url of requests) expect(new URL(url).hostname).toBe('127.0.0.1');
      expect(await page.evaluate(() => (window as any).__inspector.errors)).toEqual([]);
    } finally {
      served.proc.kill('SIGINT');
      await page.close();
    }
    expect(await served.exited).toBe(0);
  });
});
