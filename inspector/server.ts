// The inspector's HTTP server on 127.0.0.1 only: the board, each run's page (rendered here, so they
// show at first paint), their live fragments, recorded journals for replay and the live SSE stream.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { machineGraph } from '../machines/graph.ts';
import { runMachine } from '../machines/run-machine.ts';
import { workerTaskMachine } from '../machines/worker-task-machine.ts';
import { isValidRunId } from '../persistence/layout.ts';
import type { Registry } from '../persistence/port.ts';
import { RegistryCorruptError, RunNotFoundError } from '../persistence/errors.ts';
import { layoutOffThread } from './chart-source.ts';
import type { ChartLayout } from './chart-layout.ts';
import { Hub } from './hub.ts';
import { LiveFeed } from './live-feed.ts';
import { runJournal } from './replay.ts';
import { boardRows } from './run-facts.ts';
import { runPageData } from './run-page-data.ts';
import { boardPage, boardRowsHtml, liveBanner, summary } from './views/board-view.ts';
import { escapeHtml, pageShell } from './views/parts.ts';
import { changeHtml, logsHtml, runHead, runPage, tasksHtml, why } from './views/run-view.ts';
import { PAGE_CSS } from './page/style.ts';
import { PAGE_JS } from './page/script.ts';

/** The only address the inspector listens on. */
export const INSPECTOR_HOST = '127.0.0.1';

export interface InspectorOptions {
  registry: Registry;
  /** 0 picks a free port. */
  port: number;
  /** A run whose page `buran inspect ID` opens on. */
  replay?: string | null;
  /** A run is driven live by this process (`run --inspect`). */
  live?: boolean;
  /** Values redacted from everything served. */
  secrets: readonly string[];
}

export interface InspectorServer {
  url: string;
  port: number;
  /** Feed for DriveOptions.inspect (`run --inspect`). */
  feed: LiveFeed;
  hub: Hub;
  close(): Promise<void>;
}

// The page may talk to this server and nothing else.
const HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

const HTML = 'text/html; charset=utf-8';

/** Starts the server; rejects (EADDRINUSE, EACCES) when the port cannot be had. */
export async function startInspector(options: InspectorOptions): Promise<InspectorServer> {
  let hub: Hub | null = null;
  const feed = new LiveFeed((message) => hub?.publish(message), options.secrets);
  hub = new Hub(() => feed.picture());
  const runGraph = machineGraph(runMachine);
  const taskGraph = machineGraph(workerTaskMachine);
  const graph = JSON.stringify({ run: runGraph, task: taskGraph });
  // Laid out once, off this thread, while the server starts; a page asked for before it is done waits for it.
  const layout: Promise<ChartLayout | Error> = layoutOffThread(runGraph).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
  const secrets = options.secrets;
  const registry = options.registry;
  let port = options.port;

  const runPageRoute = async (res: ServerResponse, id: string, part: 'page' | 'panels'): Promise<void> => {
    const now = Date.now();
    const data = await runPageData(registry, id, secrets, now);
    if (part === 'panels') {
      const taskStates = taskGraph.root.children;
      return json(res, 200, {
        state: data.facts.state, path: data.facts.path, terminal: data.facts.terminal, driven: data.facts.driven, entries: data.entries.length,
        head: runHead(data, now), why: why(data, now), tasks: tasksHtml(data.tasks, taskStates, data.facts.current?.task_id ?? null), logs: logsHtml(data), change: changeHtml(data),
      });
    }
    const laid = await layout;
    if (laid instanceof Error) throw new Error(`the statechart could not be laid out: ${laid.message}`);
    return send(res, 200, HTML, runPage(data, { layout: laid, taskStates: taskGraph.root.children, live: feed.runId === id, now }));
  };

  const routes = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // A page on another origin that rebinds a name to 127.0.0.1 still sends its own Host.
    if (!hostAllowed(req.headers.host, port)) return send(res, 403, 'text/plain', 'forbidden: the inspector answers only to 127.0.0.1 and localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed');
    const path = new URL(req.url ?? '/', `http://${INSPECTOR_HOST}`).pathname;
    const now = Date.now();
    if (path === '/' || path === '/index.html') {
      return send(res, 200, HTML, boardPage(await boardRows(registry, secrets, now), { registry: registry.location, liveRunId: feed.runId, now }));
    }
    if (path === '/fragments/board') {
      const rows = await boardRows(registry, secrets, now);
      return json(res, 200, { rows: boardRowsHtml(rows, now), summary: summary(rows), live_run: feed.runId, banner: liveBanner(feed.runId), count: rows.length });
    }
    if (path === '/app.js') return send(res, 200, 'text/javascript; charset=utf-8', PAGE_JS);
    if (path === '/app.css') return send(res, 200, 'text/css; charset=utf-8', PAGE_CSS);
    if (path === '/favicon.ico') return send(res, 204, 'text/plain', '');
    if (path === '/graph') return send(res, 200, 'application/json', graph);
    if (path === '/info') return json(res, 200, { live: options.live === true || feed.live, run_id: feed.runId, replay: options.replay ?? null });
    if (path === '/runs') return json(res, 200, await boardRows(registry, secrets, now));
    if (path === '/events') return hub!.attach(res);
    if (path === '/live') return redirect(res, feed.runId ? `/runs/${encodeURIComponent(feed.runId)}` : '/');
    const run = /^\/runs\/([^/]+)(\/journal|\/panels)?$/.exec(path);
    if (run) {
      // %ff and the like are not a run id: 400, not a 500 from decodeURIComponent.
      const id = decodePathSegment(run[1]!);
      const page = run[2] === undefined;
      if (id === null || !isValidRunId(id)) return page ? notFoundPage(res, 400, `not a run id: ${run[1]}`) : json(res, 400, { error: `not a run id: ${run[1]}` });
      try {
        if (run[2] === '/journal') return json(res, 200, await runJournal(registry, id, secrets));
        return await runPageRoute(res, id, page ? 'page' : 'panels');
      } catch (error) {
        if (error instanceof RunNotFoundError) return page ? notFoundPage(res, 404, error.message) : json(res, 404, { error: error.message });
        if (error instanceof RegistryCorruptError) return page ? notFoundPage(res, 409, `quarantined or corrupt: ${error.message}`) : json(res, 409, { error: `quarantined or corrupt: ${error.message}` });
        throw error;
      }
    }
    return send(res, 404, 'text/plain', 'not found');
  };

  const server = createServer((req, res) => {
    routes(req, res).catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { error: String((error as Error)?.message ?? error) });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, INSPECTOR_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${INSPECTOR_HOST}:${port}/`,
    port,
    feed,
    hub,
    close: () => new Promise<void>((resolve) => {
      hub!.close();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** A percent-encoded path segment, or null when it is not valid (`%ff` is no UTF-8): a bad request, not a server error. */
function decodePathSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

function hostAllowed(host: string | undefined, port: number): boolean {
  return host === `${INSPECTOR_HOST}:${port}` || host === `localhost:${port}`;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { ...HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json', JSON.stringify(value));
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { ...HEADERS, Location: location, 'Content-Length': 0 });
  res.end();
}

function notFoundPage(res: ServerResponse, status: number, message: string): void {
  send(res, status, HTML, pageShell({ title: 'Buran inspector', view: 'error', status: 'error', nav: '<a href="/">board</a>', body: `<main class="board"><section class="why tone-failed"><h2>${escapeHtml(message)}</h2><p><a href="/">Back to the board</a></p></section></main>` }));
}
