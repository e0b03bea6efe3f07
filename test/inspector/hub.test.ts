// The live path's bounds, in process: the inspect callback only queues, and a stalled page loses frames, not time.
import { describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { createActor, createMachine } from 'xstate';
import { startInspector } from '../../inspector/server.ts';
import { DirectoryRegistry } from '../../persistence/directory-registry.ts';
import { CLIENT_QUEUE_LIMIT } from '../../inspector/hub.ts';
import { LiveFeed, PENDING_LIMIT } from '../../inspector/live-feed.ts';
import { until } from './helpers.ts';

const flip = createMachine({ id: 'flip', initial: 'a', states: { a: { on: { go: 'b' } }, b: { on: { go: 'a' } } } });

describe('inspector live path', () => {
  it('the inspect callback never publishes synchronously and keeps at most PENDING_LIMIT events', async () => {
    const published: any[] = [];
    const feed = new LiveFeed((m) => published.push(m), ['hunter2-secret']);
    const actor = createActor(flip, { inspect: feed.inspect }).start();
    const sends = PENDING_LIMIT; // each send yields an event and a snapshot inspection
    for (let i = 0; i < sends; i++) actor.send({ type: 'go', note: 'hunter2-secret' } as never);
    expect(published).toHaveLength(0);
    expect(feed.droppedInspections).toBeGreaterThan(0);
    await new Promise((r) => setImmediate(r));
    expect(published.length).toBeGreaterThan(0);
    expect(published.length).toBeLessThanOrEqual(PENDING_LIMIT);
    const events = published.filter((m) => m.type === 'event');
    expect(events.at(-1).event.payload).toContain('[REDACTED]');
    expect(JSON.stringify(published)).not.toContain('hunter2-secret');
    expect((feed.picture() as any).actors).toEqual([expect.objectContaining({ kind: 'run', id: 'run', state: 'a' })]);
  });

  it('a client that stops reading gets a bounded queue with its oldest frames dropped; publishing stays fast', async () => {
    const server = await startInspector({ registry: new DirectoryRegistry('/nonexistent'), port: 0, secrets: [] });
    const socket = connect(server.port, '127.0.0.1');
    socket.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`);
    await until(() => server.hub.stats().clients === 1, 5000, 'the client');
    socket.pause();
    const payload = 'x'.repeat(2048);
    const started = process.hrtime.bigint();
    for (let i = 0; i < 20_000; i++) {
      server.hub.publish({ type: 'event', i, payload });
      if (i % 1000 === 0) await new Promise((r) => setImmediate(r));
    }
    const perPublishUs = Number(process.hrtime.bigint() - started) / 1000 / 20_000;
    const stats = server.hub.stats();
    expect(stats.maxQueued).toBeLessThanOrEqual(CLIENT_QUEUE_LIMIT);
    expect(stats.dropped).toBeGreaterThan(10_000);
    expect(perPublishUs).toBeLessThan(200);

    // Once it reads again it is told what it missed, then gets the newest frames.
    let text = '';
    socket.on('data', (d) => { text += d; });
    socket.resume();
    await until(() => text.includes('"i":19999'), 5000, 'the newest frame');
    expect(text).toMatch(/"type":"dropped","count":\d+/);

    socket.destroy();
    await until(() => server.hub.stats().clients === 0, 5000, 'the closed client to be forgotten');
    await server.close();
  });
});
