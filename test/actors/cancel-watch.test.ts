// Cancel ordering: a cancel waits for the replay of the journal's steps, is sent once, and never after a stop.
import { describe, expect, it } from 'vitest';
import { watchCancel } from '../../actors/cancel-watch.ts';

/** A recorder's replay as the cancel watch sees it: replaying until `catchUp()`. */
function replay(pending: boolean) {
  const waiting: Array<() => void> = [];
  let replaying = pending;
  return {
    recorder: {
      get replaying() { return replaying; },
      whenCaughtUp: (fn: () => void) => (replaying ? waiting.push(fn) : fn()),
    },
    catchUp: () => { replaying = false; for (const fn of waiting.splice(0)) fn(); },
  };
}
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('cancel watch', () => {
  it('holds a cancel asked of the driver until the replay is over, then sends it once', async () => {
    const { recorder, catchUp } = replay(true);
    const sent: string[] = [];
    const stop = watchCancel({ asked: 'cancelled by "buran cancel"', session: { cancelReason: async () => null }, recorder, active: () => true, send: (r) => sent.push(r) });
    await settle();
    expect(sent).toEqual([]);
    catchUp();
    await settle();
    expect(sent).toEqual(['cancelled by "buran cancel"']);
    catchUp();
    await settle();
    expect(sent).toHaveLength(1);
    stop();
  });

  it('sends the reason another process recorded, seen at a poll once it appears', async () => {
    const { recorder } = replay(false);
    let recorded: string | null = null;
    const sent: string[] = [];
    const stop = watchCancel({ asked: undefined, session: { cancelReason: async () => recorded }, recorder, active: () => true, send: (r) => sent.push(r) });
    await settle();
    expect(sent).toEqual([]);
    recorded = 'cancelled from host b';
    await expect.poll(() => sent, { timeout: 5000 }).toEqual(['cancelled from host b']);
    stop();
  });

  it('sends nothing once the driver has stopped driving (a deliberate stop or a halt came first)', async () => {
    const { recorder, catchUp } = replay(true);
    let driving = true;
    let looks = 0;
    const sent: string[] = [];
    const active = () => { looks++; return driving; };
    const stop = watchCancel({ asked: 'too late', session: { cancelReason: async () => 'too late' }, recorder, active, send: (r) => sent.push(r) });
    driving = false;
    catchUp();
    // The catch-up and two polls have each looked and found the driver stopped.
    await expect.poll(() => looks, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    expect(sent).toEqual([]);
    stop();
  });
});
