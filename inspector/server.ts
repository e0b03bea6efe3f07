// The inspector's HTTP server: the page, the graph, recorded runs for replay and a live SSE stream, on 127.0.0.1 only.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { machineGraph } from '../machines/graph.ts';
import { runMachine } from '../machines/run-machine.ts';
import { workerTaskMachine } from '../machines/worker-task-machine.ts';
import { isValidRunId } from '../persistence/layout.ts';
import { RegistryCorruptError, RunNotFoundError } from '../persistence/errors.ts';
import { Hub } from './hub.ts';
import { LiveFeed } from './live-feed.ts';
import { listRuns, runJournal } from './replay.ts';
import { PAGE_HTML } from './page/html.ts';
import { PAGE_CSS } from './page/style.ts';
import { PAGE_JS } from './page/script.ts';

/** The only address the inspector listens on. */
export const INSPECTOR_HOST = '127.0.0.1';

export interface InspectorOptions {
  registry: string;
  /** 0 picks a free port. */
  port: number;
  /** A run the page opens in replay first (`buran inspect ID`). */
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

/** Starts the server; rejects (EADDRINUSE, EACCES) when the port cannot be had. */
export async function startInspector(options: InspectorOptions): Promise<InspectorServer> {
  let hub: Hub | null = null;
  const feed = new LiveFeed((message) => hub?.publish(message), options.secrets);
  hub = new Hub(() => feed.picture());
  const graph = JSON.stringify({ run: machineGraph(runMachine), task: machineGraph(workerTaskMachine) });
  let port = options.port;

  const routes = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // A page on another origin that rebinds a name to 127.0.0.1 still sends its own Host.
    if (!hostAllowed(req.headers.host, port)) return send(res, 403, 'text/plain', 'forbidden: the inspector answers only to 127.0.0.1 and localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed');
    const path = new URL(req.url ?? '/', `http://${INSPECTOR_HOST}`).pathname;
    if (path === '/' || path === '/index.html') return send(res, 200, 'text/html; charset=utf-8', PAGE_HTML);
    if (path === '/app.js') return send(res, 200, 'text/javascript; charset=utf-8', PAGE_JS);
    if (path === '/app.css') return send(res, 200, 'text/css; charset=utf-8', PAGE_CSS);
    if (path === '/favicon.ico') return send(res, 204, 'text/plain', '');
    if (path === '/graph') return send(res, 200, 'application/json', graph);
    if (path === '/info') return json(res, 200, { live: options.live === true || feed.live, run_id: feed.runId, replay: options.replay ?? null });
    if (path === '/runs') return json(res, 200, await listRuns(options.registry));
    if (path === '/events') return hub!.attach(res);
    const journal = /^\/runs\/([^/]+)\/journal$/.exec(path);
    if (journal) {
      const id = decodePathSegment(journal[1]!);
      if (id === null || !isValidRunId(id)) return json(res, 400, { error: `not a run id: ${journal[1]}` });
      try {
        return json(res, 200, await runJournal(options.registry, id, options.secrets));
      } catch (error) {
        if (error instanceof RunNotFoundError) return json(res, 404, { error: error.message });
        if (error instanceof RegistryCorruptError) return json(res, 409, { error: `quarantined or corrupt: ${error.message}` });
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
