// `buran inspect [ID]` as a real process: what it serves, to whom, and how it stops.
import { describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { existsSync } from 'node:fs';
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
      expect(printed).toMatchObject({ url: served.url, replay: run.runId });
      expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);

      const page = await raw(served.url, '/');
      expect(page.status).toBe(200);
      expect(page.body).toContain('<script src="/app.js"');
      expect(page.body).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
      expect(String(page.headers['content-security-policy'])).toContain("connect-src 'self'");
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
