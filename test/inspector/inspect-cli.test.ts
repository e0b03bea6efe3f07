// `buran inspect [ID]` as a real process: what it serves (the board, run pages, their data), to whom, and how it stops.
import { describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buran, eventsOf, makeSandbox, runIn, writeConfig, writePacket } from '../helpers/sandbox.ts';
import { serve } from './helpers.ts';

/** A raw request, so the Host header and method can be anything. */
function raw(url: string, path: string, options: { host?: string; method?: string } = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: u.port, path, method: options.method ?? 'GET', headers: { host: options.host ?? u.host } }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('buran inspect', () => {
  it('serves the page, the graph of `buran graph`, the runs and a run\'s journal, on 127.0.0.1, until SIGINT', async () => {
    const sb = makeSandbox();
    const run = await runIn(sb, writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }), writePacket(sb));
    expect(run.code, run.stderr).toBe(0);

    const served = await serve(['inspect', run.runId, '--port', '0', '--json', '--registry', sb.registry]);
    try {
      const printed = JSON.parse(served.stdout().split('\n')[0]!);
      // With an id it opens on that run's page.
      expect(printed).toMatchObject({ url: `${served.url}runs/${run.runId}`, replay: run.runId });
      expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);

      // The board and the run's page arrive rendered (no placeholder to fill in), scripts from this origin only.
      const page = await raw(served.url, '/');
      expect(page.status).toBe(200);
      expect(page.body).toContain('<script src="/app.js"');
      expect(page.body).toContain(`<tr class="run-row tone-ready" data-run="${run.runId}" data-state="ready_for_manual_review"`);
      expect(page.body).not.toMatch(/loading/i);
      expect(page.body).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
      expect(page.body).not.toMatch(/<script>|<style>|\son[a-z]+=/);
      expect(String(page.headers['content-security-policy'])).toContain("connect-src 'self'");
      const runPage = await raw(served.url, `/runs/${run.runId}`);
      expect(runPage.status).toBe(200);
      expect(runPage.body).toContain('<svg');
      expect(runPage.body).toContain('Ready for manual review');
      expect(runPage.body).not.toMatch(/<script>|<style>|\son[a-z]+=/);
      expect(String(runPage.headers['content-security-policy'])).toContain("script-src 'self'");
      const head = await raw(served.url, `/runs/${run.runId}`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.body).toBe('');
      const fragment = JSON.parse((await raw(served.url, '/fragments/board')).body);
      expect(fragment).toMatchObject({ count: 1, summary: '1 run: 1 ready', live_run: null });
      expect(fragment.rows).toContain(`data-run="${run.runId}"`);
      const panels = JSON.parse((await raw(served.url, `/runs/${run.runId}/panels`)).body);
      expect(panels).toMatchObject({ state: 'ready_for_manual_review', terminal: true });
      expect(panels.logs).toContain('t1-implementer: implementer');
      // Nothing is driven live by `buran inspect`: /live goes to the board.
      const live = await raw(served.url, '/live');
      expect(live.status).toBe(302);
      expect(live.headers.location).toBe('/');
      const script = await raw(served.url, '/app.js');
      expect(script.status).toBe(200);
      expect(script.body).toContain('BuranDraw');
      expect(script.body).not.toMatch(/https?:\/\//);
      expect((await raw(served.url, '/app.css')).status).toBe(200);

      const graph = JSON.parse((await raw(served.url, '/graph')).body);
      expect(graph.run).toEqual(JSON.parse((await buran(['graph', '--format', 'json'])).stdout));
      expect(graph.task.root.children.map((c: any) => c.key)).toEqual(['created', 'dispatched', 'judging', 'completed', 'failed', 'blocked', 'timed_out', 'cancelled', 'interrupted']);

      expect(JSON.parse((await raw(served.url, '/info')).body)).toEqual({ live: false, run_id: null, replay: run.runId });
      const runs = JSON.parse((await raw(served.url, '/runs')).body);
      expect(runs).toEqual([expect.objectContaining({ run_id: run.runId, state: 'ready_for_manual_review', terminal: true })]);
      const journal = JSON.parse((await raw(served.url, `/runs/${run.runId}/journal`)).body);
      expect(journal).toMatchObject({ run_id: run.runId, state: 'ready_for_manual_review', terminal: true });
      expect(journal.entries).toEqual(await eventsOf(sb, run.runId));

      expect((await raw(served.url, '/runs/no-such-run/journal')).status).toBe(404);
      expect((await raw(served.url, '/runs/..%2F..%2Fetc/journal')).status).toBe(400);
      const missing = await raw(served.url, '/runs/no-such-run');
      expect(missing.status).toBe(404);
      expect(missing.body).toContain('run no-such-run is not in the registry');
      expect((await raw(served.url, '/runs/..%2F..%2Fetc')).status).toBe(400);
      expect((await raw(served.url, '/runs/no-such-run/panels')).status).toBe(404);
      // Not valid percent-encoding (no UTF-8): a bad request, not a server error.
      expect((await raw(served.url, '/runs/%ff/journal')).status).toBe(400);
      expect((await raw(served.url, '/nope')).status).toBe(404);
      expect((await raw(served.url, '/graph', { method: 'POST' })).status).toBe(405);
      // DNS rebinding: a foreign name pointed at 127.0.0.1 is refused.
      expect((await raw(served.url, '/runs', { host: 'evil.example:80' })).status).toBe(403);
      expect((await raw(served.url, '/runs', { host: `localhost:${new URL(served.url).port}` })).status).toBe(200);
    } finally {
      served.proc.kill('SIGINT');
    }
    expect(await served.exited).toBe(0);
  });

  it('redacts everything it serves: the board, a run page and its panels, the runs list', async () => {
    const sb = makeSandbox();
    const secret = 'hunter2-planted-value-9c1';
    const token = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';
    // A goal carrying both (shown on the board and the page), and a log a live worker left unredacted.
    const packet = writePacket(sb, { scope: { goal: `rotate ${secret} and ${token}`, acceptance_criteria: ['done'], non_goals: [] } });
    const run = await runIn(sb, writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }), packet);
    expect(run.code, run.stderr).toBe(0);
    writeFileSync(join(sb.registry, 'runs', run.runId, 'tasks', 't1-implementer', 'output.log'), `printed ${secret} and ${token}\n`);
    const served = await serve(['inspect', '--port', '0', '--registry', sb.registry], { DEPLOY_TOKEN: secret });
    try {
      for (const path of ['/', `/runs/${run.runId}`, `/runs/${run.runId}/panels`, '/runs', '/fragments/board']) {
        const answer = await raw(served.url, path);
        expect(answer.status, path).toBe(200);
        expect(answer.body, path).toContain('[REDACTED]');
        expect(answer.body, path).not.toContain(secret);
        expect(answer.body, path).not.toContain('ghp_');
      }
    } finally {
      served.proc.kill('SIGINT');
    }
    expect(await served.exited).toBe(0);
  });

  it('an unknown run id is exit 5, a bad port exit 2', async () => {
    const sb = makeSandbox();
    const missing = await buran(['inspect', 'no-such-run', '--port', '0', '--registry', sb.registry]);
    expect(missing.code).toBe(5);
    expect(missing.stderr).toContain('no-such-run');
    expect((await buran(['inspect', '--port', '70000', '--registry', sb.registry])).code).toBe(2);
    expect((await buran(['inspect', '--port', 'abc', '--registry', sb.registry])).code).toBe(2);
  });

  it('run --inspect on a busy port is a usage error that writes nothing', async () => {
    const sb = makeSandbox();
    const holder = await serve(['inspect', '--port', '0', '--registry', sb.path('other')]);
    try {
      const port = new URL(holder.url).port;
      const result = await runIn(sb, writeConfig(sb, { implementer: ['ok'], reviewer: ['pass'] }), writePacket(sb), ['--inspect', '--inspect-port', port]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`--inspect-port ${port}`);
      expect(existsSync(sb.registry)).toBe(false);
      expect(sb.calls('implementer')).toHaveLength(0);
    } finally {
      holder.proc.kill('SIGINT');
    }
    expect(await holder.exited).toBe(0);
  });
});
