// Bounded SSE broadcast: each page gets its own queue that drops its oldest frames, so a slow page never holds anything up.
import type { ServerResponse } from 'node:http';

/** One connected page. */
interface Client {
  res: ServerResponse;
  queue: string[];
  /** Frames dropped since the page last heard about it. */
  dropped: number;
  /** Waiting for the socket to drain. */
  blocked: boolean;
}

/** What the hub reports about itself (tests and diagnostics). */
export interface HubStats {
  clients: number;
  published: number;
  dropped: number;
  maxQueued: number;
}

/** Frames a page may have waiting before its oldest are dropped. */
export const CLIENT_QUEUE_LIMIT = 512;

/** An SSE frame carrying one JSON message. */
export const sseFrame = (message: unknown): string => `data: ${JSON.stringify(message)}\n\n`;

/**
 * Broadcasts messages to SSE clients. `publish` never waits: it appends to every client's
 * bounded queue and writes only what the socket accepts without buffering more; the rest
 * waits for 'drain'. A page that falls behind loses its oldest frames and is told how many
 * (it then reconnects and gets a fresh picture from `welcome`).
 */
export class Hub {
  private readonly clients = new Set<Client>();
  private published = 0;
  private droppedTotal = 0;
  private maxQueued = 0;
  private readonly ping: NodeJS.Timeout;

  constructor(private readonly welcome: () => unknown, private readonly limit = CLIENT_QUEUE_LIMIT) {
    // Keeps idle connections open through proxies and notices closed ones.
    this.ping = setInterval(() => this.broadcast(': ping\n\n'), 15_000);
    this.ping.unref();
  }

  /** Takes an SSE request: headers, the welcome picture, then every later message. */
  attach(res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    const client: Client = { res, queue: [sseFrame(this.welcome())], dropped: 0, blocked: false };
    this.clients.add(client);
    const forget = () => this.clients.delete(client);
    res.on('close', forget);
    res.on('error', forget);
    this.flush(client);
  }

  /** Queues one message for every client; returns at once. */
  publish(message: unknown): void {
    this.published++;
    this.broadcast(sseFrame(message));
  }

  stats(): HubStats {
    return { clients: this.clients.size, published: this.published, dropped: this.droppedTotal, maxQueued: this.maxQueued };
  }

  /** Ends every stream (the server is closing). */
  close(): void {
    clearInterval(this.ping);
    for (const client of this.clients) client.res.end();
    this.clients.clear();
  }

  private broadcast(frame: string): void {
    for (const client of this.clients) {
      client.queue.push(frame);
      if (client.queue.length > this.limit) {
        const excess = client.queue.length - this.limit;
        client.queue.splice(0, excess);
        client.dropped += excess;
        this.droppedTotal += excess;
      }
      this.maxQueued = Math.max(this.maxQueued, client.queue.length);
      this.flush(client);
    }
  }

  private flush(client: Client): void {
    if (client.blocked || client.res.destroyed) return;
    if (client.dropped > 0) {
      client.queue.unshift(sseFrame({ type: 'dropped', count: client.dropped }));
      client.dropped = 0;
    }
    while (client.queue.length > 0) {
      const frame = client.queue.shift()!;
      if (!client.res.write(frame)) {
        client.blocked = true;
        client.res.once('drain', () => {
          client.blocked = false;
          this.flush(client);
        });
        return;
      }
    }
  }
}
