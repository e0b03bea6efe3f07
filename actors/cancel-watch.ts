import type { RunSession } from '../persistence/port.ts';
import type { RunRecorder } from './run-recorder.ts';

// How often a driver looks for a cancel request from another process or host.
const CANCEL_POLL_MS = 200;

/**
 * Sends run.cancel once — the reason asked of this driver, or one another process recorded in
 * the registry — but only once the run has re-executed the steps its journal holds (during that
 * replay a cancel would contradict them) and while the driver still drives. Returns the stop.
 */
export function watchCancel(parts: {
  asked: string | undefined;
  session: Pick<RunSession, 'cancelReason'>;
  recorder: Pick<RunRecorder, 'replaying' | 'whenCaughtUp'>;
  active: () => boolean;
  send: (reason: string) => void;
}): () => void {
  let sent = false;
  let looking = false;
  const look = async () => {
    if (sent || looking || parts.recorder.replaying || !parts.active()) return;
    looking = true;
    try {
      const reason = parts.asked ?? (await parts.session.cancelReason());
      if (reason === null || sent || !parts.active()) return;
      sent = true;
      parts.send(reason);
    } catch {
      // A request that cannot be read now is read at the next poll.
    } finally {
      looking = false;
    }
  };
  parts.recorder.whenCaughtUp(() => { void look(); });
  const poll = setInterval(() => { void look(); }, CANCEL_POLL_MS);
  poll.unref();
  return () => clearInterval(poll);
}
